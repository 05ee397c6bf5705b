#include "tests/support/directory-snapshot.h"

#include <fstream>
#include <sstream>

namespace mitmlab::test {

std::map<std::string, std::string> snapshot_directory(const std::filesystem::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    files[std::filesystem::relative(entry.path(), dir).string()] = bytes.str();
  }
  return files;
}

}  // namespace mitmlab::test
