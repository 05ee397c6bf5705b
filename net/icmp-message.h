// ICMP for IPv4 (RFC 792, 1191): echo, time exceeded and destination unreachable decoded,
// other types kept raw. Errors expose the quoted datagram as bytes plus a best-effort parse
// of its IPv4 header and first 8 transport bytes, which is what the TTL localizer matches a
// Time Exceeded against (ports and TCP sequence number).
#pragma once

#include <cstdint>
#include <optional>
#include <variant>

#include "net/bytes.h"
#include "net/ipv4-packet.h"
#include "net/packet-error.h"
#include "net/result.h"
#include "net/writer.h"

namespace mitmlab {

namespace icmp_type {
inline constexpr std::uint8_t kEchoReply = 0;
inline constexpr std::uint8_t kDestinationUnreachable = 3;
inline constexpr std::uint8_t kEchoRequest = 8;
inline constexpr std::uint8_t kTimeExceeded = 11;
}  // namespace icmp_type

inline constexpr std::size_t kIcmpHeaderLength = 8;

// The datagram an ICMP error quotes. RFC 792 asks for its IPv4 header and the first 8 bytes
// of its payload; ns-3 quotes exactly that, Linux quotes up to 576 bytes of ICMP in total.
// When building, only `bytes` is written; the other fields are filled in by the parser.
struct QuotedDatagram {
  ByteView bytes{};  // everything after the ICMP header, as received
  // The quoted header, if it parses (parse_ipv4_quoted). Its checksum and TTL are as the
  // reporting router saw them.
  std::optional<Ipv4Packet> ip{};
  // From the first 4 bytes of a quoted TCP or UDP header that is not a later fragment.
  std::optional<std::uint16_t> source_port{};
  std::optional<std::uint16_t> destination_port{};
  // From bytes 4-7 of a quoted TCP header.
  std::optional<std::uint32_t> tcp_seq{};
};

// Never fails: whatever cannot be parsed stays unset.
QuotedDatagram parse_quoted_datagram(ByteView bytes);

struct IcmpEcho {
  bool reply = false;  // type 0 if true, else type 8; only code 0 is decoded as echo
  std::uint16_t identifier = 0;
  std::uint16_t sequence = 0;
  ByteView data{};
};

struct IcmpTimeExceeded {
  std::uint8_t code = 0;    // 0: TTL exceeded in transit, 1: fragment reassembly time exceeded
  std::uint32_t unused = 0;  // bytes 4-7, kept raw (RFC 4884 puts a length in byte 5)
  QuotedDatagram quoted{};
};

struct IcmpDestinationUnreachable {
  std::uint8_t code = 0;       // e.g. 3 port unreachable, 4 fragmentation needed
  std::uint16_t unused = 0;    // bytes 4-5, kept raw
  std::uint16_t next_hop_mtu = 0;  // bytes 6-7; meaningful for code 4 (RFC 1191)
  QuotedDatagram quoted{};
};

// Any other type (or echo with a nonzero code): header word and body kept raw.
struct IcmpUnknown {
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint32_t rest_of_header = 0;  // bytes 4-7
  ByteView body{};
};

using IcmpBody = std::variant<IcmpEcho, IcmpTimeExceeded, IcmpDestinationUnreachable, IcmpUnknown>;

// A parsed message; views point into the parser's input.
struct IcmpMessage {
  IcmpBody body{};
  std::uint16_t checksum = 0;  // as received
  bool checksum_ok = false;    // reported, not enforced
};

Result<IcmpMessage> parse_icmp(ByteView message, PacketError* kind = nullptr);
// The message carried by a datagram: kWrongProtocol unless the protocol is 1, kFragment for
// a fragment.
Result<IcmpMessage> parse_icmp(const Ipv4Packet& datagram, PacketError* kind = nullptr);

struct IcmpPacket {
  Ipv4Packet ip{};
  IcmpMessage icmp{};
};
Result<IcmpPacket> parse_icmp_packet(ByteView datagram, PacketError* kind = nullptr);

// Appends the message with its checksum computed.
void write_icmp(Writer& out, const IcmpBody& body);
Bytes build_icmp(const IcmpBody& body);
// A whole datagram; the IPv4 protocol field is forced to ICMP.
Bytes build_icmp_packet(const Ipv4Header& ip, const IcmpBody& body);

}  // namespace mitmlab
