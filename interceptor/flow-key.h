// A TCP flow's identity: the 4-tuple oriented client → server, the client being whoever
// sent the SYN. Addresses are IPv4 in host order (10.0.0.1 is 0x0a000001), the same
// convention as net/'s Ipv4Address::value, so the two convert without byte swapping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include <fmt/core.h>

namespace mitmlab {

struct FlowKey {
  std::uint32_t client_addr = 0;
  std::uint16_t client_port = 0;
  std::uint32_t server_addr = 0;
  std::uint16_t server_port = 0;

  // The same connection seen from the other end: what a server → client packet carries.
  constexpr FlowKey reversed() const { return {server_addr, server_port, client_addr, client_port}; }

  friend constexpr bool operator==(const FlowKey&, const FlowKey&) = default;
};

// Dotted quad of a host-order address.
inline std::string format_ipv4(std::uint32_t addr) {
  return fmt::format("{}.{}.{}.{}", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff, addr & 0xff);
}

// "10.0.0.1:50000 -> 93.184.216.34:443", for logs and test messages.
inline std::string to_string(const FlowKey& k) {
  return fmt::format("{}:{} -> {}:{}", format_ipv4(k.client_addr), k.client_port, format_ipv4(k.server_addr),
                     k.server_port);
}

// Mixes all 96 bits so that keys differing only in the client port (the common case: one
// client, many connections) spread over the buckets. The 4-tuples come off the wire, so a
// table may set `seed` (e.g. from the scenario seed) to make crafted bucket collisions
// hard to aim; this is a mixer, not a cryptographic PRF.
struct FlowKeyHash {
  std::uint64_t seed = 0;

  std::size_t operator()(const FlowKey& k) const noexcept {
    std::uint64_t h = mix(((std::uint64_t{k.client_addr} << 32) | k.server_addr) ^ seed);
    h = mix(h ^ (std::uint64_t{k.client_port} << 16 | k.server_port));
    return static_cast<std::size_t>(h);
  }

  // The splitmix64 finaliser: a bijection whose every output bit depends on every input bit.
  static constexpr std::uint64_t mix(std::uint64_t h) {
    h += 0x9e3779b97f4a7c15ULL;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
  }
};

}  // namespace mitmlab

template <>
struct std::hash<mitmlab::FlowKey> : mitmlab::FlowKeyHash {};
