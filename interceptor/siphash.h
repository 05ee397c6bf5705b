// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit hash. Used where a choice
// must look random yet be reproducible from a key on every platform (sampling flows):
// unlike std::hash, its output is specified bit for bit.
#pragma once

#include <array>
#include <cstdint>

#include "net/bytes.h"

namespace mitmlab {

using SipHashKey = std::array<std::uint8_t, 16>;

// The reference algorithm: key and 64-bit words read little-endian, whatever the host.
std::uint64_t siphash24(const SipHashKey& key, ByteView message);

}  // namespace mitmlab
