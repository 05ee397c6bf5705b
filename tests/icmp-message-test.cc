// ICMP messages, and the quoted datagram the TTL localizer matches against.
#define BOOST_TEST_MODULE icmp_message
#include <boost/test/unit_test.hpp>

#include <string>

#include "net/icmp-message.h"
#include "net/internet-checksum.h"
#include "net/ipv4-packet.h"
#include "net/tcp-segment.h"
#include "tests/support/packet-fixtures.h"

using namespace mitmlab;
using fixtures::from_hex;

namespace {

IcmpPacket parse_ok(ByteView bytes) {
  auto p = parse_icmp_packet(bytes);
  BOOST_TEST_REQUIRE(p.ok(), (p.ok() ? "" : p.message()));
  return std::move(p).value();
}

template <typename T>
const T& body_as(const IcmpPacket& p) {
  const T* t = std::get_if<T>(&p.icmp.body);
  BOOST_TEST_REQUIRE(t != nullptr, "unexpected ICMP body alternative " << p.icmp.body.index());
  return *t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(parses_a_captured_echo_reply) {
  Bytes bytes = from_hex(fixtures::kLoopbackEchoReply);
  IcmpPacket p = parse_ok(bytes);
  BOOST_TEST(p.icmp.checksum_ok);
  BOOST_TEST(p.icmp.checksum == 0x6f8c);
  const auto& echo = body_as<IcmpEcho>(p);
  BOOST_TEST(echo.reply);
  BOOST_TEST(echo.identifier == 0x1234);
  BOOST_TEST(echo.sequence == 7);
  BOOST_TEST(std::string(as_chars(echo.data)) == "mitmlab-echo");
  BOOST_TEST(to_hex(build_icmp_packet(p.ip.header, p.icmp.body)) == to_hex(bytes));
}

BOOST_AUTO_TEST_CASE(builds_an_echo_request_with_a_valid_checksum) {
  Bytes data{'p', 'i', 'n', 'g', '!'};  // odd length on purpose
  Bytes bytes = build_icmp(IcmpEcho{false, 0xabcd, 300, data});
  BOOST_TEST(bytes.size() == 13u);
  BOOST_TEST(bytes[0] == icmp_type::kEchoRequest);
  BOOST_TEST(internet_checksum(bytes) == 0);
  auto m = parse_icmp(bytes);
  BOOST_REQUIRE(m.ok());
  BOOST_TEST(m->checksum_ok);
  const auto* echo = std::get_if<IcmpEcho>(&m->body);
  BOOST_REQUIRE(echo != nullptr);
  BOOST_TEST(!echo->reply);
  BOOST_TEST(echo->identifier == 0xabcd);
  BOOST_TEST(echo->sequence == 300);
  BOOST_TEST(to_hex(echo->data) == to_hex(data));
}

BOOST_AUTO_TEST_CASE(linux_time_exceeded_quoting_a_whole_tcp_syn_parses_ports_and_seq) {
  Bytes bytes = from_hex(fixtures::kLinuxTimeExceeded);
  IcmpPacket p = parse_ok(bytes);
  BOOST_TEST(p.ip.header.source.to_string() == "10.77.0.1");  // the router that answered
  BOOST_TEST(p.icmp.checksum_ok);
  const auto& te = body_as<IcmpTimeExceeded>(p);
  BOOST_TEST(te.code == 0);
  BOOST_TEST(te.quoted.bytes.size() == 60u);
  BOOST_REQUIRE(te.quoted.ip.has_value());
  const Ipv4Packet& q = *te.quoted.ip;
  BOOST_TEST(q.header.ttl == 1);
  BOOST_TEST(q.header.protocol == ip_protocol::kTcp);
  BOOST_TEST(q.header.source.to_string() == "10.77.0.2");
  BOOST_TEST(q.header.destination.to_string() == "10.88.0.5");
  BOOST_TEST(q.checksum_ok);
  BOOST_TEST(te.quoted.source_port.value_or(0) == 55678);
  BOOST_TEST(te.quoted.destination_port.value_or(0) == 443);
  BOOST_TEST(te.quoted.tcp_seq.value_or(0) == 1509431569u);  // tcpdump: seq 1509431569
  // Linux quoted the whole segment, so it parses as TCP too (its checksum was left partial
  // by offload on the sending host).
  auto seg = parse_tcp(q.payload, q.header.source, q.header.destination);
  BOOST_REQUIRE(seg.ok());
  BOOST_TEST(seg->header.has(tcp_flag::kSyn));
  BOOST_TEST(summarize_tcp_options(seg->header.options).mss.value_or(0) == 1460);
  BOOST_TEST(to_hex(build_icmp_packet(p.ip.header, p.icmp.body)) == to_hex(bytes));
}

BOOST_AUTO_TEST_CASE(ns3_style_time_exceeded_quoting_8_bytes_parses_ports_and_seq) {
  Bytes bytes = from_hex(fixtures::kNs3StyleTimeExceeded);
  IcmpPacket p = parse_ok(bytes);
  BOOST_TEST(p.ip.checksum_ok);
  BOOST_TEST(p.icmp.checksum_ok);
  const auto& te = body_as<IcmpTimeExceeded>(p);
  BOOST_TEST(te.quoted.bytes.size() == 28u);
  BOOST_REQUIRE(te.quoted.ip.has_value());
  BOOST_TEST(te.quoted.ip->total_length == 55u);  // the original datagram's length
  BOOST_TEST(te.quoted.ip->payload.size() == 8u);
  BOOST_TEST(te.quoted.ip->header.identification == 7);
  BOOST_TEST(te.quoted.source_port.value_or(0) == 49153);
  BOOST_TEST(te.quoted.destination_port.value_or(0) == 443);
  BOOST_TEST(te.quoted.tcp_seq.value_or(0) == 0x11223344u);
  BOOST_TEST(to_hex(build_icmp_packet(p.ip.header, p.icmp.body)) == to_hex(bytes));
}

BOOST_AUTO_TEST_CASE(fragmentation_needed_reports_the_next_hop_mtu_and_udp_ports) {
  Bytes bytes = from_hex(fixtures::kFragmentationNeeded);
  IcmpPacket p = parse_ok(bytes);
  BOOST_TEST(p.icmp.checksum_ok);
  const auto& du = body_as<IcmpDestinationUnreachable>(p);
  BOOST_TEST(du.code == 4);
  BOOST_TEST(du.next_hop_mtu == 1400);
  BOOST_TEST(du.unused == 0);
  BOOST_TEST(!du.quoted.tcp_seq.has_value());  // UDP has no sequence number
  BOOST_TEST(du.quoted.source_port.value_or(0) == 5353);
  BOOST_TEST(du.quoted.destination_port.value_or(0) == 53);
  BOOST_TEST(to_hex(build_icmp_packet(p.ip.header, p.icmp.body)) == to_hex(bytes));
}

BOOST_AUTO_TEST_CASE(a_quote_too_short_for_ports_or_headers_still_parses_the_message) {
  Bytes full = from_hex(fixtures::kNs3StyleTimeExceeded);
  Bytes quote(full.begin() + 28, full.end());  // the quoted datagram alone (28 bytes)

  // Header plus 2 transport bytes: no ports.
  Bytes two = build_icmp(IcmpTimeExceeded{0, 0, {ByteView(quote).first(22)}});
  auto m = parse_icmp(two);
  BOOST_REQUIRE(m.ok());
  const auto& te = std::get<IcmpTimeExceeded>(m->body);
  BOOST_TEST(te.quoted.ip.has_value());
  BOOST_TEST(!te.quoted.source_port.has_value());
  BOOST_TEST(!te.quoted.tcp_seq.has_value());

  // Ports but no sequence number.
  auto six = parse_quoted_datagram(ByteView(quote).first(26));
  BOOST_TEST(six.destination_port.value_or(0) == 443);
  BOOST_TEST(!six.tcp_seq.has_value());

  // Half a header: no parse at all, bytes still there.
  auto half = parse_quoted_datagram(ByteView(quote).first(10));
  BOOST_TEST(!half.ip.has_value());
  BOOST_TEST(half.bytes.size() == 10u);

  // A later fragment carries no transport header.
  Bytes later = quote;
  later[7] = 0x10;  // fragment offset 16 x 8
  auto frag = parse_quoted_datagram(later);
  BOOST_TEST(frag.ip.has_value());
  BOOST_TEST(!frag.source_port.has_value());
}

BOOST_AUTO_TEST_CASE(unknown_types_and_echo_with_a_code_are_kept_raw) {
  Bytes body{1, 2, 3};
  Bytes bytes = build_icmp(IcmpUnknown{13, 0, 0x01020304, body});  // timestamp request
  auto m = parse_icmp(bytes);
  BOOST_REQUIRE(m.ok());
  BOOST_TEST(m->checksum_ok);
  const auto* u = std::get_if<IcmpUnknown>(&m->body);
  BOOST_REQUIRE(u != nullptr);
  BOOST_TEST(u->type == 13);
  BOOST_TEST(u->rest_of_header == 0x01020304u);
  BOOST_TEST(to_hex(u->body) == "010203");
  BOOST_TEST(to_hex(build_icmp(m->body)) == to_hex(bytes));

  Bytes odd_echo = build_icmp(IcmpUnknown{8, 5, 0x00010002, {}});
  auto e = parse_icmp(odd_echo);
  BOOST_REQUIRE(e.ok());
  BOOST_TEST(std::holds_alternative<IcmpUnknown>(e->body));
  BOOST_TEST(to_hex(build_icmp(e->body)) == to_hex(odd_echo));
}

BOOST_AUTO_TEST_CASE(reports_bad_checksums_and_rejects_short_or_misplaced_messages) {
  Bytes bytes = from_hex(fixtures::kLoopbackEchoReply);
  bytes.back() ^= 1;
  IcmpPacket p = parse_ok(bytes);
  BOOST_TEST(!p.icmp.checksum_ok);
  BOOST_TEST(p.ip.checksum_ok);

  PacketError kind{};
  auto r = parse_icmp(ByteView(bytes).subspan(20, 7), &kind);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.message() == "ICMP: 7 bytes, a header needs 8");
  BOOST_TEST((kind == PacketError::kTruncated));

  auto tcp = parse_icmp_packet(from_hex(fixtures::kLoopbackRst), &kind);
  BOOST_REQUIRE(!tcp.ok());
  BOOST_TEST(tcp.message() == "ICMP: IPv4 protocol is 6, not 1");
  BOOST_TEST((kind == PacketError::kWrongProtocol));

  auto ip = parse_ipv4(bytes);
  BOOST_REQUIRE(ip.ok());
  Ipv4Packet fragment = *ip;
  fragment.header.fragment_offset = 3;
  auto f = parse_icmp(fragment, &kind);
  BOOST_REQUIRE(!f.ok());
  BOOST_TEST((kind == PacketError::kFragment));
}

BOOST_AUTO_TEST_CASE(a_localizer_can_build_a_probe_and_match_the_router_answer) {
  // The localizer's loop in miniature: a TTL-limited probe, a router's Time Exceeded built
  // the way ns-3 builds it (header + 8 bytes), and the match on ports and sequence number.
  Bytes probe = build_tcp_packet({.source = Ipv4Address(10, 0, 0, 1),
                                  .source_port = 50000,
                                  .destination = Ipv4Address(10, 0, 9, 2),
                                  .destination_port = 443,
                                  .seq = 0xcafef00d,
                                  .flags = tcp_flag::kPsh | tcp_flag::kAck,
                                  .ttl = 3});
  Ipv4Header router;
  router.source = Ipv4Address(10, 0, 3, 1);
  router.destination = Ipv4Address(10, 0, 0, 1);
  router.dont_fragment = false;
  Bytes answer =
      build_icmp_packet(router, IcmpTimeExceeded{0, 0, {ByteView(probe).first(20 + 8)}});
  IcmpPacket p = parse_ok(answer);
  BOOST_TEST(p.ip.checksum_ok);
  BOOST_TEST(p.icmp.checksum_ok);
  const auto& te = body_as<IcmpTimeExceeded>(p);
  BOOST_TEST(te.quoted.ip->header.ttl == 3);
  BOOST_TEST(te.quoted.ip->header.destination.to_string() == "10.0.9.2");
  BOOST_TEST(te.quoted.source_port.value_or(0) == 50000);
  BOOST_TEST(te.quoted.tcp_seq.value_or(0) == 0xcafef00du);
}
