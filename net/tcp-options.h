// TCP options (RFC 9293, 7323, 2018): each option decoded into a value, anything unusual kept
// raw and in order, so an option list re-encodes to exactly the bytes it came from. The
// interceptor needs this to continue a peer's timestamps and window scale faithfully.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "net/bytes.h"
#include "net/packet-error.h"
#include "net/result.h"
#include "net/writer.h"

namespace mitmlab {

namespace tcp_option_kind {
inline constexpr std::uint8_t kEndOfOptions = 0;
inline constexpr std::uint8_t kNop = 1;
inline constexpr std::uint8_t kMss = 2;
inline constexpr std::uint8_t kWindowScale = 3;
inline constexpr std::uint8_t kSackPermitted = 4;
inline constexpr std::uint8_t kSack = 5;
inline constexpr std::uint8_t kTimestamps = 8;
}  // namespace tcp_option_kind

inline constexpr std::size_t kTcpMaxOptionsLength = 40;

// End of Option List. Everything after it in the options area is padding; it is kept (it is
// normally zeros) so that a segment with odd padding still round-trips.
struct TcpEndOfOptions {
  Bytes padding{};
  friend bool operator==(const TcpEndOfOptions&, const TcpEndOfOptions&) = default;
};
struct TcpNop {
  friend bool operator==(const TcpNop&, const TcpNop&) = default;
};
struct TcpMss {
  std::uint16_t value = 0;
  friend bool operator==(const TcpMss&, const TcpMss&) = default;
};
struct TcpWindowScale {
  std::uint8_t shift = 0;  // as sent; RFC 7323 says a receiver treats values above 14 as 14
  friend bool operator==(const TcpWindowScale&, const TcpWindowScale&) = default;
};
struct TcpSackPermitted {
  friend bool operator==(const TcpSackPermitted&, const TcpSackPermitted&) = default;
};
struct TcpSackBlock {
  std::uint32_t left = 0;   // first sequence number of the block
  std::uint32_t right = 0;  // sequence number just after the block
  friend bool operator==(const TcpSackBlock&, const TcpSackBlock&) = default;
};
struct TcpSack {
  std::vector<TcpSackBlock> blocks{};  // 1 to 4 when parsed
  friend bool operator==(const TcpSack&, const TcpSack&) = default;
};
struct TcpTimestamps {
  std::uint32_t value = 0;       // TSval
  std::uint32_t echo_reply = 0;  // TSecr
  friend bool operator==(const TcpTimestamps&, const TcpTimestamps&) = default;
};
// An option of a kind we do not decode, or of a known kind with a length the RFC does not
// allow (e.g. an MSS option of length 6): kept as kind plus the bytes after the length byte.
struct TcpUnknownOption {
  std::uint8_t kind = 0;
  Bytes data{};
  friend bool operator==(const TcpUnknownOption&, const TcpUnknownOption&) = default;
};

using TcpOption = std::variant<TcpEndOfOptions, TcpNop, TcpMss, TcpWindowScale, TcpSackPermitted,
                               TcpSack, TcpTimestamps, TcpUnknownOption>;
using TcpOptions = std::vector<TcpOption>;

// Parses the options area (the bytes between the fixed 20-byte header and the data offset).
// Fails with kBadOption when an option's length byte is missing, below 2, or runs past the
// area: the receiver could not tell where the next option starts.
Result<TcpOptions> parse_tcp_options(ByteView area, PacketError* kind = nullptr);

// Encoded size of the options, without padding to a multiple of 4.
std::size_t tcp_options_length(std::span<const TcpOption> options);

// Appends the options as on the wire, without padding (the segment builder pads).
// Throws std::length_error if an option cannot be encoded (more than 255 bytes).
void write_tcp_options(Writer& out, std::span<const TcpOption> options);

// The first option of type T, or nullptr. The mutable form lets a relay rewrite, say, the
// timestamps of a segment in place before rebuilding it.
template <typename T>
const T* find_tcp_option(const TcpOptions& options) {
  for (const TcpOption& o : options)
    if (const T* p = std::get_if<T>(&o)) return p;
  return nullptr;
}
template <typename T>
T* find_tcp_option(TcpOptions& options) {
  for (TcpOption& o : options)
    if (T* p = std::get_if<T>(&o)) return p;
  return nullptr;
}

// What an endpoint announces in its options, in one place (first occurrence of each).
struct TcpOptionSummary {
  std::optional<std::uint16_t> mss{};
  std::optional<std::uint8_t> window_scale{};  // raw shift, not clamped to 14
  bool sack_permitted = false;
  std::optional<TcpTimestamps> timestamps{};
  std::vector<TcpSackBlock> sack_blocks{};
};
TcpOptionSummary summarize_tcp_options(const TcpOptions& options);

}  // namespace mitmlab
