#include "net/ipv4-address.h"

#include <ostream>

#include <fmt/core.h>

namespace mitmlab {

Result<Ipv4Address> Ipv4Address::parse(std::string_view text) {
  std::uint32_t value = 0;
  std::size_t pos = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (pos >= text.size() || text[pos] != '.')
        return make_error("IPv4 address '{}': expected four dot-separated octets", text);
      ++pos;
    }
    std::size_t start = pos;
    std::uint32_t n = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - start < 3) {
      n = n * 10 + static_cast<std::uint32_t>(text[pos] - '0');
      ++pos;
    }
    if (pos == start)
      return make_error("IPv4 address '{}': octet {} is not a number", text, octet + 1);
    if (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
      return make_error("IPv4 address '{}': octet {} has more than 3 digits", text, octet + 1);
    if (pos - start > 1 && text[start] == '0')
      return make_error("IPv4 address '{}': octet {} has a leading zero", text, octet + 1);
    if (n > 255) return make_error("IPv4 address '{}': octet {} is {} (> 255)", text, octet + 1, n);
    value = (value << 8) | n;
  }
  if (pos != text.size()) return make_error("IPv4 address '{}': trailing characters", text);
  return Ipv4Address(value);
}

std::string Ipv4Address::to_string() const {
  return fmt::format("{}.{}.{}.{}", value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff,
                     value & 0xff);
}

std::ostream& operator<<(std::ostream& out, Ipv4Address address) {
  return out << address.to_string();
}

}  // namespace mitmlab
