// IPv4 datagrams (RFC 791): parse with bounds and checksum checks, build with a correct
// header checksum. Options are kept raw so a parsed header rebuilds byte-identically.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/bytes.h"
#include "net/ipv4-address.h"
#include "net/packet-error.h"
#include "net/result.h"
#include "net/writer.h"

namespace mitmlab {

namespace ip_protocol {
inline constexpr std::uint8_t kIcmp = 1;
inline constexpr std::uint8_t kTcp = 6;
inline constexpr std::uint8_t kUdp = 17;
}  // namespace ip_protocol

inline constexpr std::size_t kIpv4MinHeaderLength = 20;
inline constexpr std::size_t kIpv4MaxOptionsLength = 40;

// The fields a sender chooses. Total length, IHL and checksum are derived when building,
// and reported separately by the parser (Ipv4Packet).
struct Ipv4Header {
  std::uint8_t dscp = 0;  // 6 bits
  std::uint8_t ecn = 0;   // 2 bits
  std::uint16_t identification = 0;
  bool reserved_flag = false;  // must be zero on the wire; kept so odd packets round-trip
  bool dont_fragment = true;
  bool more_fragments = false;
  std::uint16_t fragment_offset = 0;  // 13 bits, in units of 8 bytes
  std::uint8_t ttl = 64;
  std::uint8_t protocol = 0;
  Ipv4Address source{};
  Ipv4Address destination{};
  // Raw option bytes as on the wire. When building, padded with zeros (End of Options List)
  // to a multiple of 4.
  Bytes options{};

  bool is_fragment() const { return more_fragments || fragment_offset != 0; }
};

// A parsed datagram. `payload` views the buffer given to the parser: it is valid only while
// that buffer lives.
struct Ipv4Packet {
  Ipv4Header header{};
  std::size_t header_length = 0;  // IHL * 4
  std::uint16_t total_length = 0;  // as declared in the header
  std::uint16_t checksum = 0;      // as received
  // The header checksum is reported, not enforced: a bump that forwards packets should not
  // be stricter than a router, and tests want to see bad packets too. Callers that must
  // drop bad checksums check this field.
  bool checksum_ok = false;
  ByteView payload{};  // after the header, up to total_length (trailing link padding excluded)
};

// Parses a whole datagram. A buffer longer than the total length is accepted (Ethernet pads
// short frames); a shorter one is an error (kBadTotalLength), as is version != 4, IHL < 5,
// or a header longer than the buffer.
Result<Ipv4Packet> parse_ipv4(ByteView datagram, PacketError* kind = nullptr);

// Parses the copy of a datagram quoted inside an ICMP error. The quote is usually cut
// short (RFC 792 asks for the header plus 8 bytes; ns-3 quotes exactly that, Linux up to
// 576 bytes in total), so the total length is not checked against the bytes: `payload` is
// whatever was quoted after the header, capped at the total length.
Result<Ipv4Packet> parse_ipv4_quoted(ByteView quoted, PacketError* kind = nullptr);

// Appends a 20-60 byte header for a datagram carrying `payload_length` bytes, with the
// header checksum filled in. Transport builders append their bytes right after it.
// Throws std::length_error if the options exceed 40 bytes or the datagram 65535 bytes:
// those are bugs in the caller, never a property of received input.
void write_ipv4_header(Writer& out, const Ipv4Header& header, std::size_t payload_length);

// A whole datagram: the header as above followed by `payload`.
Bytes build_ipv4(const Ipv4Header& header, ByteView payload);

}  // namespace mitmlab
