// Why a packet failed to parse, as an enum a caller can count by, next to the message.
// Parsers return Result<T> (the message) and, when given a PacketError*, also store the
// kind there, so an engine can keep one counter per reason without matching on text.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string_view>
#include <utility>

#include "net/result.h"

namespace mitmlab {

enum class PacketError : std::uint8_t {
  kTruncated,        // fewer bytes than a header or a declared length needs
  kBadVersion,       // IPv4 version field is not 4
  kBadHeaderLength,  // IPv4 IHL < 5 or TCP data offset < 5
  kBadTotalLength,   // IPv4 total length smaller than its header or larger than the bytes
  kFragment,         // a fragment where a whole transport header is needed (no reassembly)
  kWrongProtocol,    // e.g. parse_tcp on a datagram whose protocol is not 6
  kBadOption,        // a TCP option with a length below 2 or past the options area
};

std::string_view to_string(PacketError e);
// Prints to_string(e), so test frameworks can show kinds.
std::ostream& operator<<(std::ostream& out, PacketError e);

// Records `code` in `*kind` (if given) and builds the Error message.
template <typename... Args>
Error packet_error(PacketError* kind, PacketError code, fmt::format_string<Args...> format,
                   Args&&... args) {
  if (kind) *kind = code;
  return make_error(format, std::forward<Args>(args)...);
}

}  // namespace mitmlab
