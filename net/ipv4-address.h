// An IPv4 address as a value: 32 bits in host order, so it compares, hashes and prints
// without touching any socket API.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

#include "net/result.h"

namespace mitmlab {

struct Ipv4Address {
  std::uint32_t value = 0;  // host order: 10.0.0.1 is 0x0a000001

  constexpr Ipv4Address() = default;
  constexpr explicit Ipv4Address(std::uint32_t v) : value(v) {}
  constexpr Ipv4Address(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d)
      : value((std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) | d) {}

  // Strict dotted quad: four decimal octets 0-255, no leading '+', no spaces, no leading
  // zeros beyond a single "0" (so "010.0.0.1" is rejected rather than read as octal or decimal).
  static Result<Ipv4Address> parse(std::string_view text);
  std::string to_string() const;

  friend constexpr auto operator<=>(Ipv4Address, Ipv4Address) = default;
};

// Dotted quad, for logs and test diagnostics.
std::ostream& operator<<(std::ostream& out, Ipv4Address address);

}  // namespace mitmlab

template <>
struct std::hash<mitmlab::Ipv4Address> {
  std::size_t operator()(mitmlab::Ipv4Address a) const noexcept {
    return std::hash<std::uint32_t>{}(a.value);
  }
};
