#include "net/icmp-message.h"

#include "net/internet-checksum.h"
#include "net/reader.h"

namespace mitmlab {

QuotedDatagram parse_quoted_datagram(ByteView bytes) {
  QuotedDatagram q;
  q.bytes = bytes;
  auto ip = parse_ipv4_quoted(bytes);
  if (!ip) return q;
  q.ip = std::move(ip).value();
  const Ipv4Header& h = q.ip->header;
  // A later fragment carries no transport header; the first one does, even with MF set.
  if (h.fragment_offset != 0) return q;
  if (h.protocol != ip_protocol::kTcp && h.protocol != ip_protocol::kUdp) return q;
  Reader r(q.ip->payload);
  auto source_port = r.u16();
  auto destination_port = r.u16();
  if (!source_port || !destination_port) return q;
  q.source_port = source_port;
  q.destination_port = destination_port;
  if (h.protocol == ip_protocol::kTcp) q.tcp_seq = r.u32();
  return q;
}

Result<IcmpMessage> parse_icmp(ByteView message, PacketError* kind) {
  Reader r(message);
  if (r.remaining() < kIcmpHeaderLength)
    return packet_error(kind, PacketError::kTruncated, "ICMP: {} bytes, a header needs 8",
                        r.remaining());
  IcmpMessage m;
  // The 8 header bytes are present, so these reads cannot fail.
  std::uint8_t type = *r.u8();
  std::uint8_t code = *r.u8();
  m.checksum = *r.u16();
  std::uint32_t rest_of_header = *r.u32();
  ByteView body = r.rest();
  m.checksum_ok = internet_checksum(message) == 0;

  switch (type) {
    case icmp_type::kEchoReply:
    case icmp_type::kEchoRequest:
      if (code != 0) break;
      m.body = IcmpEcho{type == icmp_type::kEchoReply,
                        static_cast<std::uint16_t>(rest_of_header >> 16),
                        static_cast<std::uint16_t>(rest_of_header), body};
      return m;
    case icmp_type::kTimeExceeded:
      m.body = IcmpTimeExceeded{code, rest_of_header, parse_quoted_datagram(body)};
      return m;
    case icmp_type::kDestinationUnreachable:
      m.body = IcmpDestinationUnreachable{code, static_cast<std::uint16_t>(rest_of_header >> 16),
                                          static_cast<std::uint16_t>(rest_of_header),
                                          parse_quoted_datagram(body)};
      return m;
    default:
      break;
  }
  m.body = IcmpUnknown{type, code, rest_of_header, body};
  return m;
}

Result<IcmpMessage> parse_icmp(const Ipv4Packet& datagram, PacketError* kind) {
  if (datagram.header.protocol != ip_protocol::kIcmp)
    return packet_error(kind, PacketError::kWrongProtocol, "ICMP: IPv4 protocol is {}, not 1",
                        datagram.header.protocol);
  if (datagram.header.is_fragment())
    return packet_error(kind, PacketError::kFragment,
                        "ICMP: IPv4 fragment (offset {} x 8, MF {}); fragments are not reassembled",
                        datagram.header.fragment_offset, datagram.header.more_fragments ? 1 : 0);
  return parse_icmp(datagram.payload, kind);
}

Result<IcmpPacket> parse_icmp_packet(ByteView datagram, PacketError* kind) {
  auto ip = parse_ipv4(datagram, kind);
  if (!ip) return ip.error();
  auto icmp = parse_icmp(*ip, kind);
  if (!icmp) return icmp.error();
  return IcmpPacket{std::move(ip).value(), std::move(icmp).value()};
}

namespace {

struct Fields {
  std::uint8_t type;
  std::uint8_t code;
  std::uint32_t rest_of_header;
  ByteView body;
};

struct ToFields {
  Fields operator()(const IcmpEcho& e) const {
    return {e.reply ? icmp_type::kEchoReply : icmp_type::kEchoRequest, 0,
            (std::uint32_t{e.identifier} << 16) | e.sequence, e.data};
  }
  Fields operator()(const IcmpTimeExceeded& t) const {
    return {icmp_type::kTimeExceeded, t.code, t.unused, t.quoted.bytes};
  }
  Fields operator()(const IcmpDestinationUnreachable& d) const {
    return {icmp_type::kDestinationUnreachable, d.code,
            (std::uint32_t{d.unused} << 16) | d.next_hop_mtu, d.quoted.bytes};
  }
  Fields operator()(const IcmpUnknown& u) const {
    return {u.type, u.code, u.rest_of_header, u.body};
  }
};

std::size_t icmp_length(const IcmpBody& body) {
  return kIcmpHeaderLength + std::visit(ToFields{}, body).body.size();
}

}  // namespace

void write_icmp(Writer& out, const IcmpBody& body) {
  Fields f = std::visit(ToFields{}, body);
  std::size_t start = out.size();
  out.u8(f.type);
  out.u8(f.code);
  std::size_t checksum_at = out.size();
  out.u16(0);
  out.u32(f.rest_of_header);
  out.bytes(f.body);
  out.put_u16_at(checksum_at, internet_checksum(ByteView(out.data()).subspan(start)));
}

Bytes build_icmp(const IcmpBody& body) {
  Writer out;
  write_icmp(out, body);
  return out.take();
}

Bytes build_icmp_packet(const Ipv4Header& ip, const IcmpBody& body) {
  Ipv4Header header = ip;
  header.protocol = ip_protocol::kIcmp;
  Writer out;
  write_ipv4_header(out, header, icmp_length(body));
  write_icmp(out, body);
  return out.take();
}

}  // namespace mitmlab
