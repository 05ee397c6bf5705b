#include "net/tcp-segment.h"

#include <stdexcept>

#include "net/internet-checksum.h"
#include "net/reader.h"

namespace mitmlab {

std::string tcp_flags_to_string(std::uint8_t flags) {
  std::string s;
  if (flags & tcp_flag::kFin) s += 'F';
  if (flags & tcp_flag::kSyn) s += 'S';
  if (flags & tcp_flag::kRst) s += 'R';
  if (flags & tcp_flag::kPsh) s += 'P';
  if (flags & tcp_flag::kUrg) s += 'U';
  if (flags & tcp_flag::kEce) s += 'E';
  if (flags & tcp_flag::kCwr) s += 'W';
  if (flags & tcp_flag::kAck) s += '.';
  if (s.empty()) s = "none";
  return s;
}

namespace {

// The pseudo-header sum plus the segment itself (checksum field included as it stands).
InternetChecksum pseudo_header(std::size_t segment_length, Ipv4Address source,
                               Ipv4Address destination) {
  InternetChecksum sum;
  sum.add_u32(source.value);
  sum.add_u32(destination.value);
  sum.add_u16(ip_protocol::kTcp);  // a zero byte, then the protocol
  sum.add_u16(static_cast<std::uint16_t>(segment_length));
  return sum;
}

}  // namespace

std::uint16_t tcp_checksum(ByteView segment, Ipv4Address source, Ipv4Address destination) {
  InternetChecksum sum = pseudo_header(segment.size(), source, destination);
  if (segment.size() < 18) {
    sum.add(segment);
    return sum.finish();
  }
  // Sum around the stored checksum field (bytes 16-17) so the result does not depend on it.
  sum.add(segment.first(16));
  sum.add_u16(0);
  sum.add(segment.subspan(18));
  return sum.finish();
}

Result<TcpSegment> parse_tcp(ByteView segment, Ipv4Address source, Ipv4Address destination,
                             PacketError* kind) {
  if (segment.size() > 0xffff)
    return packet_error(kind, PacketError::kBadTotalLength,
                        "TCP: segment of {} bytes exceeds the 65535 a pseudo-header can describe",
                        segment.size());
  Reader r(segment);
  if (r.remaining() < kTcpMinHeaderLength)
    return packet_error(kind, PacketError::kTruncated,
                        "TCP: {} bytes, a header needs at least 20", r.remaining());
  TcpSegment s;
  TcpHeader& h = s.header;
  // The fixed 20 bytes are present, so these reads cannot fail.
  h.source_port = *r.u16();
  h.destination_port = *r.u16();
  h.seq = *r.u32();
  h.ack = *r.u32();
  std::uint8_t offset_reserved = *r.u8();
  h.flags = *r.u8();
  h.window = *r.u16();
  s.checksum = *r.u16();
  h.urgent_pointer = *r.u16();
  h.reserved = offset_reserved & 0x0f;
  s.header_length = static_cast<std::size_t>(offset_reserved >> 4) * 4;
  if (s.header_length < kTcpMinHeaderLength)
    return packet_error(kind, PacketError::kBadHeaderLength,
                        "TCP: data offset {} ({} bytes), minimum is 5", offset_reserved >> 4,
                        s.header_length);
  auto options = r.take(s.header_length - kTcpMinHeaderLength);
  if (!options)
    return packet_error(kind, PacketError::kTruncated,
                        "TCP: header length {} exceeds {} bytes in the segment", s.header_length,
                        segment.size());
  auto parsed = parse_tcp_options(*options, kind);
  if (!parsed) return parsed.error();
  h.options = std::move(parsed).value();
  s.payload = r.rest();
  InternetChecksum sum = pseudo_header(segment.size(), source, destination);
  sum.add(segment);
  s.checksum_ok = sum.finish() == 0;
  return s;
}

Result<TcpSegment> parse_tcp(const Ipv4Packet& datagram, PacketError* kind) {
  if (datagram.header.protocol != ip_protocol::kTcp)
    return packet_error(kind, PacketError::kWrongProtocol, "TCP: IPv4 protocol is {}, not 6",
                        datagram.header.protocol);
  if (datagram.header.is_fragment())
    return packet_error(kind, PacketError::kFragment,
                        "TCP: IPv4 fragment (offset {} x 8, MF {}); fragments are not reassembled",
                        datagram.header.fragment_offset, datagram.header.more_fragments ? 1 : 0);
  return parse_tcp(datagram.payload, datagram.header.source, datagram.header.destination, kind);
}

Result<TcpPacket> parse_tcp_packet(ByteView datagram, PacketError* kind) {
  auto ip = parse_ipv4(datagram, kind);
  if (!ip) return ip.error();
  auto tcp = parse_tcp(*ip, kind);
  if (!tcp) return tcp.error();
  return TcpPacket{std::move(ip).value(), std::move(tcp).value()};
}

void write_tcp_segment(Writer& out, const TcpHeader& h, ByteView payload, Ipv4Address source,
                       Ipv4Address destination) {
  std::size_t options_length = tcp_options_length(h.options);
  if (options_length > kTcpMaxOptionsLength)
    throw std::length_error("TCP: options longer than 40 bytes");
  std::size_t padded = (options_length + 3) / 4 * 4;
  std::size_t header_length = kTcpMinHeaderLength + padded;
  // The pseudo-header has 16 bits for the length; IPv4 could not carry more anyway.
  if (header_length + payload.size() > 0xffff)
    throw std::length_error("TCP: segment longer than 65535 bytes");

  std::size_t start = out.size();
  out.u16(h.source_port);
  out.u16(h.destination_port);
  out.u32(h.seq);
  out.u32(h.ack);
  out.u8(static_cast<std::uint8_t>(((header_length / 4) << 4) | (h.reserved & 0x0f)));
  out.u8(h.flags);
  out.u16(h.window);
  std::size_t checksum_at = out.size();
  out.u16(0);
  out.u16(h.urgent_pointer);
  write_tcp_options(out, h.options);
  out.zeros(padded - options_length);
  out.bytes(payload);
  ByteView segment = ByteView(out.data()).subspan(start);
  out.put_u16_at(checksum_at, tcp_checksum(segment, source, destination));
}

Bytes build_tcp_segment(const TcpHeader& header, ByteView payload, Ipv4Address source,
                        Ipv4Address destination) {
  Writer out;
  write_tcp_segment(out, header, payload, source, destination);
  return out.take();
}

Bytes build_tcp_packet(const Ipv4Header& ip, const TcpHeader& tcp, ByteView payload) {
  Ipv4Header header = ip;
  header.protocol = ip_protocol::kTcp;
  std::size_t options_length = (tcp_options_length(tcp.options) + 3) / 4 * 4;
  Writer out;
  write_ipv4_header(out, header, kTcpMinHeaderLength + options_length + payload.size());
  write_tcp_segment(out, tcp, payload, header.source, header.destination);
  return out.take();
}

Bytes build_tcp_packet(const TcpPacketSpec& spec) {
  Ipv4Header ip;
  ip.identification = spec.identification;
  ip.dont_fragment = spec.dont_fragment;
  ip.ttl = spec.ttl;
  ip.protocol = ip_protocol::kTcp;
  ip.source = spec.source;
  ip.destination = spec.destination;
  TcpHeader tcp;
  tcp.source_port = spec.source_port;
  tcp.destination_port = spec.destination_port;
  tcp.seq = spec.seq;
  tcp.ack = spec.ack;
  tcp.flags = spec.flags;
  tcp.window = spec.window;
  tcp.options = spec.options;
  return build_tcp_packet(ip, tcp, spec.payload);
}

}  // namespace mitmlab
