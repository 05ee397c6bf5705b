#include "net/ipv4-packet.h"

#include <stdexcept>

#include "net/internet-checksum.h"
#include "net/reader.h"

namespace mitmlab {

namespace {

enum class TotalLengthCheck { kWholeDatagram, kQuoted };

Result<Ipv4Packet> parse(ByteView bytes, TotalLengthCheck check, PacketError* kind) {
  const char* what = check == TotalLengthCheck::kQuoted ? "quoted IPv4" : "IPv4";
  Reader r(bytes);
  if (r.remaining() < kIpv4MinHeaderLength)
    return packet_error(kind, PacketError::kTruncated, "{}: {} bytes, a header needs at least 20",
                        what, r.remaining());
  Ipv4Packet p;
  Ipv4Header& h = p.header;
  // The 20 fixed bytes are known to be present, so these reads cannot fail.
  std::uint8_t version_ihl = *r.u8();
  std::uint8_t tos = *r.u8();
  p.total_length = *r.u16();
  h.identification = *r.u16();
  std::uint16_t flags_offset = *r.u16();
  h.ttl = *r.u8();
  h.protocol = *r.u8();
  p.checksum = *r.u16();
  h.source = Ipv4Address(*r.u32());
  h.destination = Ipv4Address(*r.u32());

  if ((version_ihl >> 4) != 4)
    return packet_error(kind, PacketError::kBadVersion, "{}: version {}, expected 4", what,
                        version_ihl >> 4);
  p.header_length = std::size_t{version_ihl & 0x0fu} * 4;
  if (p.header_length < kIpv4MinHeaderLength)
    return packet_error(kind, PacketError::kBadHeaderLength,
                        "{}: header length {} bytes (IHL {}), minimum is 20", what,
                        p.header_length, version_ihl & 0x0f);
  auto options = r.take(p.header_length - kIpv4MinHeaderLength);
  if (!options)
    return packet_error(kind, PacketError::kTruncated,
                        "{}: header length {} exceeds {} bytes received", what, p.header_length,
                        bytes.size());
  if (p.total_length < p.header_length)
    return packet_error(kind, PacketError::kBadTotalLength,
                        "{}: total length {} is smaller than the header length {}", what,
                        p.total_length, p.header_length);
  std::size_t body = p.total_length - p.header_length;
  if (check == TotalLengthCheck::kWholeDatagram) {
    if (p.total_length > bytes.size())
      return packet_error(kind, PacketError::kBadTotalLength,
                          "{}: total length {} exceeds {} bytes received", what, p.total_length,
                          bytes.size());
  } else if (body > r.remaining()) {
    body = r.remaining();
  }
  p.payload = *r.take(body);

  h.dscp = tos >> 2;
  h.ecn = tos & 0x3;
  h.reserved_flag = (flags_offset & 0x8000) != 0;
  h.dont_fragment = (flags_offset & 0x4000) != 0;
  h.more_fragments = (flags_offset & 0x2000) != 0;
  h.fragment_offset = flags_offset & 0x1fff;
  h.options.assign(options->begin(), options->end());
  p.checksum_ok = internet_checksum(bytes.first(p.header_length)) == 0;
  return p;
}

}  // namespace

Result<Ipv4Packet> parse_ipv4(ByteView datagram, PacketError* kind) {
  return parse(datagram, TotalLengthCheck::kWholeDatagram, kind);
}

Result<Ipv4Packet> parse_ipv4_quoted(ByteView quoted, PacketError* kind) {
  return parse(quoted, TotalLengthCheck::kQuoted, kind);
}

void write_ipv4_header(Writer& out, const Ipv4Header& h, std::size_t payload_length) {
  if (h.options.size() > kIpv4MaxOptionsLength)
    throw std::length_error("IPv4: options longer than 40 bytes");
  std::size_t padded_options = (h.options.size() + 3) / 4 * 4;
  std::size_t header_length = kIpv4MinHeaderLength + padded_options;
  if (header_length + payload_length > 0xffff)
    throw std::length_error("IPv4: datagram longer than 65535 bytes");

  std::size_t start = out.size();
  out.u8(static_cast<std::uint8_t>(0x40 | (header_length / 4)));
  out.u8(static_cast<std::uint8_t>(((h.dscp & 0x3f) << 2) | (h.ecn & 0x3)));
  out.u16(static_cast<std::uint16_t>(header_length + payload_length));
  out.u16(h.identification);
  out.u16(static_cast<std::uint16_t>((h.reserved_flag ? 0x8000 : 0) |
                                     (h.dont_fragment ? 0x4000 : 0) |
                                     (h.more_fragments ? 0x2000 : 0) |
                                     (h.fragment_offset & 0x1fff)));
  out.u8(h.ttl);
  out.u8(h.protocol);
  std::size_t checksum_at = out.size();
  out.u16(0);
  out.u32(h.source.value);
  out.u32(h.destination.value);
  out.bytes(h.options);
  out.zeros(padded_options - h.options.size());
  ByteView header = ByteView(out.data()).subspan(start, header_length);
  out.put_u16_at(checksum_at, internet_checksum(header));
}

Bytes build_ipv4(const Ipv4Header& header, ByteView payload) {
  Writer out;
  write_ipv4_header(out, header, payload.size());
  out.bytes(payload);
  return out.take();
}

}  // namespace mitmlab
