// TCP sequence-number arithmetic (RFC 9293 section 3.4): numbers live on a 2^32 circle, so
// "before" and "after" are decided by the sign of the 32-bit difference. That is only
// meaningful for numbers less than 2^31 apart, which every window we handle is by far.
#pragma once

#include <cstdint>

namespace mitmlab {

// b - a as a signed distance: positive when b is after a.
constexpr std::int32_t seq_diff(std::uint32_t b, std::uint32_t a) {
  return static_cast<std::int32_t>(b - a);  // two's complement wrap, well defined in C++20
}
constexpr std::uint32_t seq_add(std::uint32_t seq, std::uint64_t n) {
  return static_cast<std::uint32_t>(seq + n);
}
constexpr bool seq_lt(std::uint32_t a, std::uint32_t b) { return seq_diff(b, a) > 0; }
constexpr bool seq_leq(std::uint32_t a, std::uint32_t b) { return seq_diff(b, a) >= 0; }
constexpr bool seq_gt(std::uint32_t a, std::uint32_t b) { return seq_lt(b, a); }
constexpr bool seq_geq(std::uint32_t a, std::uint32_t b) { return seq_leq(b, a); }
constexpr std::uint32_t seq_max(std::uint32_t a, std::uint32_t b) { return seq_lt(a, b) ? b : a; }
constexpr std::uint32_t seq_min(std::uint32_t a, std::uint32_t b) { return seq_lt(a, b) ? a : b; }
// a <= x < b on the circle (an empty range when a == b).
constexpr bool seq_in_range(std::uint32_t x, std::uint32_t a, std::uint32_t b) {
  return seq_leq(a, x) && seq_lt(x, b);
}

}  // namespace mitmlab
