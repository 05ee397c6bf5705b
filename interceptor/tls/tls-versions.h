// Protocol-version bounds for the box's SSL_CTXs, shared by both legs.
#pragma once

#include <cstdint>

#include "net/openssl.h"
#include "net/result.h"

namespace mitmlab {

// Sets [min, max] (each 0x0301..0x0304, min <= max); an error names the bad bound.
Status set_version_range(SSL_CTX* ctx, std::uint16_t min_version, std::uint16_t max_version);

}  // namespace mitmlab
