#include "tests/support/tls-fixtures.h"

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace mitmlab::test {

Bytes tls_fixture(std::string_view name) {
  std::string path = std::string(MITMLAB_FIXTURES) + "/tls/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace mitmlab::test
