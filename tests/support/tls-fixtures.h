// The committed ClientHello fixtures in tests/fixtures/tls (see the README there).
#pragma once

#include <string_view>

#include "net/bytes.h"

namespace mitmlab::test {

// The bytes of tests/fixtures/tls/<name>; throws std::runtime_error if it is missing.
Bytes tls_fixture(std::string_view name);

}  // namespace mitmlab::test
