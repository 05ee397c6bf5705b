// TCP segments and options over IPv4.
#define BOOST_TEST_MODULE tcp_segment
#include <boost/test/unit_test.hpp>

#include <string>

#include "net/internet-checksum.h"
#include "net/ipv4-packet.h"
#include "net/tcp-options.h"
#include "net/tcp-segment.h"
#include "tests/support/packet-fixtures.h"

using namespace mitmlab;
using fixtures::from_hex;

namespace {

TcpPacket parse_ok(ByteView bytes) {
  auto p = parse_tcp_packet(bytes);
  BOOST_TEST_REQUIRE(p.ok(), (p.ok() ? "" : p.message()));
  return std::move(p).value();
}

// The bytes of a datagram with the TCP checksum field replaced.
Bytes with_tcp_checksum(Bytes bytes, std::size_t ip_header_length, std::uint16_t checksum) {
  bytes[ip_header_length + 16] = static_cast<std::uint8_t>(checksum >> 8);
  bytes[ip_header_length + 17] = static_cast<std::uint8_t>(checksum);
  return bytes;
}

}  // namespace

BOOST_AUTO_TEST_CASE(parses_a_captured_rst_and_verifies_its_checksum) {
  Bytes bytes = from_hex(fixtures::kLoopbackRst);
  TcpPacket p = parse_ok(bytes);
  const TcpHeader& h = p.tcp.header;
  BOOST_TEST(h.source_port == 45999);
  BOOST_TEST(h.destination_port == 46214);
  BOOST_TEST(h.seq == 0u);
  BOOST_TEST(h.ack == 2390235214u);
  BOOST_TEST(h.flags == (tcp_flag::kRst | tcp_flag::kAck));
  BOOST_TEST(h.has(tcp_flag::kRst));
  BOOST_TEST(!h.has(tcp_flag::kSyn));
  BOOST_TEST(tcp_flags_to_string(h.flags) == "R.");
  BOOST_TEST(h.window == 0);
  BOOST_TEST(h.options.empty());
  BOOST_TEST(p.tcp.header_length == 20u);
  BOOST_TEST(p.tcp.checksum == 0xa2d1);
  BOOST_TEST(p.tcp.checksum_ok);
  BOOST_TEST(p.tcp.payload.empty());
  BOOST_TEST(tcp_checksum(p.ip.payload, p.ip.header.source, p.ip.header.destination) == 0xa2d1);
}

BOOST_AUTO_TEST_CASE(parses_a_linux_syn_and_computes_the_checksum_tcpdump_expects) {
  Bytes bytes = from_hex(fixtures::kLoopbackSynPartialChecksum);
  TcpPacket p = parse_ok(bytes);
  const TcpHeader& h = p.tcp.header;
  BOOST_TEST(h.source_port == 44940);
  BOOST_TEST(h.destination_port == 45811);
  BOOST_TEST(h.seq == 3025092879u);
  BOOST_TEST(tcp_flags_to_string(h.flags) == "S");
  BOOST_TEST(h.window == 65495);
  // Loopback offload left a partial checksum: reported as wrong, parsed anyway.
  BOOST_TEST(!p.tcp.checksum_ok);
  BOOST_TEST(tcp_checksum(p.ip.payload, p.ip.header.source, p.ip.header.destination) ==
             fixtures::kLoopbackSynCorrectChecksum);

  // [mss 65495,sackOK,TS val 866217021 ecr 0,nop,wscale 10]
  TcpOptions expected{TcpMss{65495}, TcpSackPermitted{}, TcpTimestamps{866217021, 0}, TcpNop{},
                      TcpWindowScale{10}};
  BOOST_TEST((h.options == expected));
  TcpOptionSummary s = summarize_tcp_options(h.options);
  BOOST_TEST(s.mss.value_or(0) == 65495);
  BOOST_TEST(s.window_scale.value_or(0) == 10);
  BOOST_TEST(s.sack_permitted);
  BOOST_REQUIRE(s.timestamps.has_value());
  BOOST_TEST(s.timestamps->value == 866217021u);
  BOOST_TEST(s.sack_blocks.empty());

  // Rebuilding gives the capture with the checksum tcpdump computed.
  Bytes rebuilt = build_tcp_packet(p.ip.header, h, p.tcp.payload);
  BOOST_TEST(to_hex(rebuilt) ==
             to_hex(with_tcp_checksum(bytes, 20, fixtures::kLoopbackSynCorrectChecksum)));
  BOOST_TEST(parse_ok(rebuilt).tcp.checksum_ok);
}

BOOST_AUTO_TEST_CASE(parses_a_captured_data_segment_with_an_odd_length_payload) {
  Bytes bytes = from_hex(fixtures::kLoopbackDataPartialChecksum);
  TcpPacket p = parse_ok(bytes);
  BOOST_TEST(tcp_flags_to_string(p.tcp.header.flags) == "P.");
  BOOST_TEST(p.tcp.header_length == 32u);
  BOOST_TEST(std::string(as_chars(p.tcp.payload)) == "hello mitmlab");
  auto* ts = find_tcp_option<TcpTimestamps>(p.tcp.header.options);
  BOOST_REQUIRE(ts != nullptr);
  BOOST_TEST(ts->value == 866217022u);
  BOOST_TEST(ts->echo_reply == 1814478162u);
  BOOST_TEST(tcp_checksum(p.ip.payload, p.ip.header.source, p.ip.header.destination) ==
             fixtures::kLoopbackDataCorrectChecksum);
  Bytes fixed = with_tcp_checksum(bytes, 20, fixtures::kLoopbackDataCorrectChecksum);
  BOOST_TEST(parse_ok(fixed).tcp.checksum_ok);
  BOOST_TEST(to_hex(build_tcp_packet(p.ip.header, p.tcp.header, p.tcp.payload)) == to_hex(fixed));
}

BOOST_AUTO_TEST_CASE(every_option_kind_including_unknown_ones_round_trips_byte_identically) {
  Bytes bytes = from_hex(fixtures::kCraftedAllOptions);
  TcpPacket p = parse_ok(bytes);
  BOOST_TEST(p.tcp.checksum_ok);  // checksum computed by craft-packets.py
  BOOST_TEST(p.ip.checksum_ok);
  const TcpHeader& h = p.tcp.header;
  BOOST_TEST(h.seq == 0xfffffff0u);
  BOOST_TEST(h.ack == 7u);
  BOOST_TEST(h.reserved == 1);
  BOOST_TEST(h.window == 502);
  BOOST_TEST(p.tcp.header_length == 60u);
  TcpOptions expected{
      TcpNop{},
      TcpMss{1448},
      TcpSack{{{1000, 2000}}},
      TcpTimestamps{0x01020304, 0x0a0b0c0d},
      TcpUnknownOption{30, {0xbe, 0xef}},
      TcpUnknownOption{2, {0x99}},  // MSS with length 3: not an MSS a receiver can use
      TcpNop{},
      TcpWindowScale{2},
      TcpEndOfOptions{{0x00, 0x07, 0x00}},
  };
  BOOST_TEST((h.options == expected));
  BOOST_TEST(tcp_options_length(h.options) == 40u);
  BOOST_TEST(std::string(as_chars(p.tcp.payload)) == "odd payload");

  // The option list alone re-encodes to the same 40 bytes.
  Writer w;
  write_tcp_options(w, h.options);
  BOOST_TEST(to_hex(w.data()) == to_hex(ByteView(bytes).subspan(40, 40)));
  // The whole datagram too.
  BOOST_TEST(to_hex(build_tcp_packet(p.ip.header, h, p.tcp.payload)) == to_hex(bytes));
}

BOOST_AUTO_TEST_CASE(options_built_from_values_parse_back_to_the_same_values) {
  TcpOptions options{TcpMss{1448},
                     TcpSack{{{1, 2}, {3, 4}, {0xffffffff, 5}}},
                     TcpSackPermitted{},
                     TcpTimestamps{0xdeadbeef, 0},
                     TcpUnknownOption{34, {}},  // an empty TFO cookie request
                     TcpWindowScale{14}};
  Writer w;
  write_tcp_options(w, options);
  BOOST_TEST(w.size() == tcp_options_length(options));
  BOOST_TEST(w.size() == 4u + 26u + 2u + 10u + 2u + 3u);
  auto back = parse_tcp_options(w.data());
  BOOST_REQUIRE(back.ok());
  BOOST_TEST((*back == options));
  TcpOptionSummary s = summarize_tcp_options(*back);
  BOOST_TEST(s.sack_blocks.size() == 3u);
  BOOST_TEST(s.sack_blocks[2].left == 0xffffffffu);
  BOOST_TEST(s.window_scale.value_or(0) == 14);
}

BOOST_AUTO_TEST_CASE(engine_builder_makes_a_datagram_that_parses_back_with_valid_checksums) {
  Bytes payload = Bytes(as_bytes("\x16\x03\x01 server hello").begin(),
                        as_bytes("\x16\x03\x01 server hello").end());
  Bytes bytes = build_tcp_packet({
      .source = Ipv4Address(10, 0, 9, 2),
      .source_port = 443,
      .destination = Ipv4Address(10, 0, 0, 1),
      .destination_port = 49153,
      .seq = 1,
      .ack = 518,
      .flags = tcp_flag::kAck | tcp_flag::kPsh,
      .window = 1000,
      .options = {TcpNop{}, TcpNop{}, TcpTimestamps{4242, 17}},
      .payload = payload,
      .identification = 99,
  });
  BOOST_TEST(bytes.size() == 20u + 32u + payload.size());
  TcpPacket p = parse_ok(bytes);
  BOOST_TEST(p.ip.checksum_ok);
  BOOST_TEST(p.tcp.checksum_ok);
  BOOST_TEST(p.ip.header.ttl == 64);  // default
  BOOST_TEST(p.ip.header.dont_fragment);
  BOOST_TEST(p.ip.header.identification == 99);
  BOOST_TEST(p.ip.header.protocol == ip_protocol::kTcp);
  BOOST_TEST(p.ip.header.source.to_string() == "10.0.9.2");
  BOOST_TEST(p.tcp.header.source_port == 443);
  BOOST_TEST(p.tcp.header.destination_port == 49153);
  BOOST_TEST(p.tcp.header.seq == 1u);
  BOOST_TEST(p.tcp.header.ack == 518u);
  BOOST_TEST(tcp_flags_to_string(p.tcp.header.flags) == "P.");
  BOOST_TEST(p.tcp.header.window == 1000);
  BOOST_TEST(find_tcp_option<TcpTimestamps>(p.tcp.header.options)->echo_reply == 17u);
  BOOST_TEST(to_hex(p.tcp.payload) == to_hex(payload));

  // An independent check of both checksums over the raw bytes.
  BOOST_TEST(internet_checksum(ByteView(bytes).first(20)) == 0);
  InternetChecksum sum;
  sum.add(ByteView(bytes).subspan(12, 8));  // source and destination addresses
  sum.add_u16(6);
  sum.add_u16(static_cast<std::uint16_t>(bytes.size() - 20));
  sum.add(ByteView(bytes).subspan(20));
  BOOST_TEST(sum.finish() == 0);
}

BOOST_AUTO_TEST_CASE(builder_pads_options_with_zeros_and_honours_ttl) {
  Bytes bytes = build_tcp_packet({.source = Ipv4Address(1, 2, 3, 4),
                                  .destination = Ipv4Address(5, 6, 7, 8),
                                  .flags = tcp_flag::kSyn,
                                  .options = {TcpMss{1448}, TcpWindowScale{2}},
                                  .ttl = 5,
                                  .dont_fragment = false});
  TcpPacket p = parse_ok(bytes);
  BOOST_TEST(p.ip.header.ttl == 5);
  BOOST_TEST(!p.ip.header.dont_fragment);
  BOOST_TEST(p.tcp.header_length == 28u);  // 7 option bytes padded to 8
  BOOST_TEST(to_hex(ByteView(bytes).subspan(40, 8)) == "020405a803030200");
  TcpOptions expected{TcpMss{1448}, TcpWindowScale{2}, TcpEndOfOptions{}};
  BOOST_TEST((p.tcp.header.options == expected));

  TcpHeader too_many;
  too_many.options.assign(41, TcpNop{});
  BOOST_CHECK_THROW(build_tcp_segment(too_many, {}, {}, {}), std::length_error);
  Bytes huge(65535 - 19, 0);
  BOOST_CHECK_THROW(build_tcp_segment(TcpHeader{}, huge, {}, {}), std::length_error);
  BOOST_TEST(build_tcp_segment(TcpHeader{}, ByteView(huge).first(65535 - 20), {}, {}).size() ==
             65535u);
}

BOOST_AUTO_TEST_CASE(a_changed_byte_or_address_breaks_the_checksum) {
  Bytes bytes = from_hex(fixtures::kLoopbackRst);
  auto ip = parse_ipv4(bytes);
  BOOST_REQUIRE(ip.ok());
  BOOST_TEST(parse_tcp(ip->payload, ip->header.source, ip->header.destination)->checksum_ok);
  // The pseudo-header covers the addresses: the same segment to another host is wrong.
  BOOST_TEST(!parse_tcp(ip->payload, ip->header.source, Ipv4Address(127, 0, 0, 2))->checksum_ok);
  bytes[20 + 13] ^= tcp_flag::kPsh;
  BOOST_TEST(!parse_tcp_packet(bytes)->tcp.checksum_ok);
}

BOOST_AUTO_TEST_CASE(rejects_malformed_segments_with_precise_errors) {
  Bytes bytes = from_hex(fixtures::kLoopbackSynPartialChecksum);
  auto ip = parse_ipv4(bytes);
  BOOST_REQUIRE(ip.ok());
  const Ipv4Address a = ip->header.source, b = ip->header.destination;
  Bytes seg(ip->payload.begin(), ip->payload.end());
  PacketError kind{};

  auto r = parse_tcp(ByteView(seg).first(19), a, b, &kind);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.message() == "TCP: 19 bytes, a header needs at least 20");
  BOOST_TEST(kind == PacketError::kTruncated);

  Bytes low = seg;
  low[12] = 0x40;
  r = parse_tcp(low, a, b, &kind);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.message() == "TCP: data offset 4 (16 bytes), minimum is 5");
  BOOST_TEST(kind == PacketError::kBadHeaderLength);

  Bytes high = seg;
  high[12] = 0xf0;
  r = parse_tcp(high, a, b, &kind);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.message() == "TCP: header length 60 exceeds 40 bytes in the segment");
  BOOST_TEST(kind == PacketError::kTruncated);

  Bytes bad_option = seg;
  bad_option[20 + 4 + 1] = 1;  // the SACK-permitted option (offset 4) claims length 1
  r = parse_tcp(bad_option, a, b, &kind);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.message() == "TCP: option kind 4 at offset 4 declares length 1 (minimum 2)");
  BOOST_TEST(kind == PacketError::kBadOption);

  Bytes long_option = seg;
  long_option[20 + 6 + 1] = 30;  // the timestamps option (offset 6) claims 30 bytes
  r = parse_tcp(long_option, a, b, &kind);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.message() == "TCP: option kind 8 at offset 6 declares length 30, 14 bytes left");
  BOOST_TEST(kind == PacketError::kBadOption);

  auto missing_length = parse_tcp_options(from_hex("0101 02"), &kind);
  BOOST_REQUIRE(!missing_length.ok());
  BOOST_TEST(missing_length.message() == "TCP: option kind 2 at offset 2 has no length byte");
}

BOOST_AUTO_TEST_CASE(refuses_fragments_and_other_protocols) {
  Bytes bytes = from_hex(fixtures::kLoopbackRst);
  auto ip = parse_ipv4(bytes);
  BOOST_REQUIRE(ip.ok());
  PacketError kind{};

  Ipv4Packet fragment = *ip;
  fragment.header.more_fragments = true;
  auto r = parse_tcp(fragment, &kind);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(kind == PacketError::kFragment);
  BOOST_TEST(r.message().find("fragment") != std::string::npos);

  Ipv4Packet icmp = *ip;
  icmp.header.protocol = ip_protocol::kIcmp;
  r = parse_tcp(icmp, &kind);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(kind == PacketError::kWrongProtocol);
  BOOST_TEST(r.message() == "TCP: IPv4 protocol is 1, not 6");
}

BOOST_AUTO_TEST_CASE(relay_can_rewrite_timestamps_in_place_and_rebuild) {
  // What the interceptor does when it continues a peer's timestamp space.
  Bytes bytes = from_hex(fixtures::kLoopbackDataPartialChecksum);
  TcpPacket p = parse_ok(bytes);
  TcpHeader h = p.tcp.header;
  auto* ts = find_tcp_option<TcpTimestamps>(h.options);
  BOOST_REQUIRE(ts != nullptr);
  ts->value += 1000;
  Bytes rebuilt = build_tcp_packet(p.ip.header, h, p.tcp.payload);
  TcpPacket q = parse_ok(rebuilt);
  BOOST_TEST(q.tcp.checksum_ok);
  BOOST_TEST(find_tcp_option<TcpTimestamps>(q.tcp.header.options)->value == 866218022u);
  BOOST_TEST(rebuilt.size() == bytes.size());
}

BOOST_AUTO_TEST_CASE(flag_letters_follow_tcpdump) {
  BOOST_TEST(tcp_flags_to_string(tcp_flag::kSyn | tcp_flag::kAck) == "S.");
  BOOST_TEST(tcp_flags_to_string(tcp_flag::kFin | tcp_flag::kAck) == "F.");
  BOOST_TEST(tcp_flags_to_string(tcp_flag::kSyn | tcp_flag::kEce | tcp_flag::kCwr) == "SEW");
  BOOST_TEST(tcp_flags_to_string(tcp_flag::kUrg) == "U");
  BOOST_TEST(tcp_flags_to_string(0) == "none");
}
