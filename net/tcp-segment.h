// TCP segments (RFC 9293) over IPv4: parse with the pseudo-header checksum reported, build
// with it computed, and a one-call builder of whole IPv4+TCP datagrams for code that speaks
// TCP on behalf of a peer (the interceptor) or crafts probes (the TTL localizer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "net/bytes.h"
#include "net/ipv4-address.h"
#include "net/ipv4-packet.h"
#include "net/packet-error.h"
#include "net/result.h"
#include "net/tcp-options.h"
#include "net/writer.h"

namespace mitmlab {

namespace tcp_flag {
inline constexpr std::uint8_t kFin = 0x01;
inline constexpr std::uint8_t kSyn = 0x02;
inline constexpr std::uint8_t kRst = 0x04;
inline constexpr std::uint8_t kPsh = 0x08;
inline constexpr std::uint8_t kAck = 0x10;
inline constexpr std::uint8_t kUrg = 0x20;
inline constexpr std::uint8_t kEce = 0x40;
inline constexpr std::uint8_t kCwr = 0x80;
}  // namespace tcp_flag

// Flags in tcpdump's letters ("S.", "P.", "F.", "R", "SEW"...), for logs and test messages.
std::string tcp_flags_to_string(std::uint8_t flags);

inline constexpr std::size_t kTcpMinHeaderLength = 20;

// The fields a sender chooses. Data offset and checksum are derived when building.
struct TcpHeader {
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;     // tcp_flag bits
  std::uint8_t reserved = 0;  // the 4 bits between data offset and CWR (NS/AE); kept raw
  std::uint16_t window = 0;   // as on the wire, before window scaling
  std::uint16_t urgent_pointer = 0;
  TcpOptions options{};  // building pads them with zeros to a multiple of 4 bytes

  bool has(std::uint8_t flag) const { return (flags & flag) == flag; }
};

// A parsed segment; `payload` views the parser's input and lives only as long as it does.
struct TcpSegment {
  TcpHeader header{};
  std::size_t header_length = 0;  // data offset * 4
  std::uint16_t checksum = 0;     // as received
  // Reported, not enforced (the caller decides; see Ipv4Packet::checksum_ok). Note that
  // packets captured on Linux loopback or before NIC offload carry only a partial checksum.
  bool checksum_ok = false;
  ByteView payload{};
};

// Parses a segment given the addresses of its IPv4 pseudo-header.
Result<TcpSegment> parse_tcp(ByteView segment, Ipv4Address source, Ipv4Address destination,
                             PacketError* kind = nullptr);
// Parses the segment carried by a datagram: fails with kWrongProtocol unless the protocol is
// 6 and with kFragment for a fragment (this code does not reassemble).
Result<TcpSegment> parse_tcp(const Ipv4Packet& datagram, PacketError* kind = nullptr);

// The checksum field value for `segment` as it stands, with its checksum field taken as zero.
std::uint16_t tcp_checksum(ByteView segment, Ipv4Address source, Ipv4Address destination);

// Appends the segment with its checksum computed. Throws std::length_error if the options
// exceed 40 bytes or the segment 65535 bytes (bugs in the caller).
void write_tcp_segment(Writer& out, const TcpHeader& header, ByteView payload,
                       Ipv4Address source, Ipv4Address destination);
Bytes build_tcp_segment(const TcpHeader& header, ByteView payload, Ipv4Address source,
                        Ipv4Address destination);

// A datagram and the segment it carries, both parsed; views point into the parser's input.
struct TcpPacket {
  Ipv4Packet ip{};
  TcpSegment tcp{};
};
Result<TcpPacket> parse_tcp_packet(ByteView datagram, PacketError* kind = nullptr);

// A whole IPv4+TCP datagram; the IPv4 protocol field is forced to TCP. Both checksums are
// computed.
Bytes build_tcp_packet(const Ipv4Header& ip, const TcpHeader& tcp, ByteView payload);

// Everything needed to speak for one end of a connection, with the defaults the engine wants
// (TTL 64, DF set). Use designated initializers:
//   build_tcp_packet({.source = a, .source_port = 443, .destination = b, ...})
struct TcpPacketSpec {
  Ipv4Address source{};
  std::uint16_t source_port = 0;
  Ipv4Address destination{};
  std::uint16_t destination_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
  TcpOptions options{};
  ByteView payload{};
  std::uint8_t ttl = 64;
  std::uint16_t identification = 0;
  bool dont_fragment = true;
};
Bytes build_tcp_packet(const TcpPacketSpec& spec);

}  // namespace mitmlab
