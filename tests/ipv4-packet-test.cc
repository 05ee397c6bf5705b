// IPv4 datagrams, addresses and the Internet checksum.
#define BOOST_TEST_MODULE ipv4_packet
#include <boost/test/unit_test.hpp>

#include <array>
#include <string>

#include "net/internet-checksum.h"
#include "net/ipv4-address.h"
#include "net/ipv4-packet.h"
#include "tests/support/packet-fixtures.h"

using namespace mitmlab;
using fixtures::from_hex;

BOOST_AUTO_TEST_CASE(checksum_matches_the_rfc_1071_example) {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (one's complement).
  std::array<std::uint8_t, 8> data{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  BOOST_TEST(internet_checksum(data) == 0x220d);
}

BOOST_AUTO_TEST_CASE(checksum_pads_an_odd_byte_with_zero) {
  std::array<std::uint8_t, 3> odd{0x12, 0x34, 0x56};
  std::array<std::uint8_t, 4> even{0x12, 0x34, 0x56, 0x00};
  BOOST_TEST(internet_checksum(odd) == internet_checksum(even));
  BOOST_TEST(internet_checksum(odd) == static_cast<std::uint16_t>(~(0x1234 + 0x5600)));
}

BOOST_AUTO_TEST_CASE(checksum_over_pieces_equals_checksum_over_the_whole_at_every_split) {
  Bytes data = from_hex(fixtures::kLinuxTimeExceeded);
  std::uint16_t whole = internet_checksum(data);
  for (std::size_t a = 0; a <= data.size(); ++a) {
    for (std::size_t b = a; b <= data.size(); b += 7) {
      InternetChecksum sum;
      sum.add(ByteView(data).first(a));
      sum.add(ByteView(data).subspan(a, b - a));
      sum.add(ByteView(data).subspan(b));
      BOOST_TEST_REQUIRE(sum.finish() == whole, "split at " << a << ", " << b);
    }
  }
}

BOOST_AUTO_TEST_CASE(address_parses_and_prints_dotted_quads) {
  auto a = Ipv4Address::parse("10.0.0.1");
  BOOST_REQUIRE(a.ok());
  BOOST_TEST(a->value == 0x0a000001u);
  BOOST_TEST(a->to_string() == "10.0.0.1");
  BOOST_TEST(Ipv4Address(255, 255, 255, 255).to_string() == "255.255.255.255");
  BOOST_TEST(Ipv4Address::parse("0.0.0.0")->value == 0u);
  BOOST_TEST(Ipv4Address::parse("192.168.1.254")->to_string() == "192.168.1.254");
  BOOST_TEST((Ipv4Address(10, 0, 0, 1) < Ipv4Address(10, 0, 0, 2)));
}

BOOST_AUTO_TEST_CASE(address_rejects_malformed_text_with_a_reason) {
  for (const char* bad : {"", "10.0.0", "10.0.0.1.", "10.0.0.256", "10..0.1", "a.b.c.d",
                          "10.0.0.1 ", " 10.0.0.1", "010.0.0.1", "1000.0.0.1", "10.0.0.-1",
                          "10.0.0.1/24", "+1.0.0.1"}) {
    auto a = Ipv4Address::parse(bad);
    BOOST_TEST(!a.ok(), "accepted '" << bad << "'");
    if (!a.ok()) BOOST_TEST(a.message().find("IPv4 address") != std::string::npos);
  }
  BOOST_TEST(Ipv4Address::parse("10.0.0.256").message().find("256 (> 255)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(parses_a_captured_header_and_verifies_its_checksum) {
  // The captured RST: tcpdump "ttl 64, id 0, offset 0, flags [DF], proto TCP (6), length 40".
  Bytes bytes = from_hex(fixtures::kLoopbackRst);
  auto p = parse_ipv4(bytes);
  BOOST_REQUIRE(p.ok());
  BOOST_TEST(p->header_length == 20u);
  BOOST_TEST(p->total_length == 40u);
  BOOST_TEST(p->header.identification == 0u);
  BOOST_TEST(p->header.dont_fragment);
  BOOST_TEST(!p->header.more_fragments);
  BOOST_TEST(!p->header.is_fragment());
  BOOST_TEST(p->header.ttl == 64);
  BOOST_TEST(p->header.protocol == ip_protocol::kTcp);
  BOOST_TEST(p->header.source.to_string() == "127.0.0.1");
  BOOST_TEST(p->header.destination.to_string() == "127.0.0.1");
  BOOST_TEST(p->checksum == 0x3cceu);
  BOOST_TEST(p->checksum_ok);
  BOOST_TEST(p->payload.size() == 20u);
  BOOST_TEST(p->payload.data() == bytes.data() + 20);  // a view, not a copy
}

BOOST_AUTO_TEST_CASE(parses_dscp_ecn_and_keeps_options_and_ignores_link_padding) {
  Bytes tos = from_hex(fixtures::kLinuxTimeExceeded);  // tos 0xc0: DSCP 48 (CS6), ECN 0
  auto t = parse_ipv4(tos);
  BOOST_REQUIRE(t.ok());
  BOOST_TEST(t->header.dscp == 48);
  BOOST_TEST(t->header.ecn == 0);
  BOOST_TEST(!t->header.dont_fragment);

  Bytes bytes = from_hex(fixtures::kIpv4WithOptionsAndPadding);
  BOOST_TEST(bytes.size() == 32u);
  auto p = parse_ipv4(bytes);
  BOOST_REQUIRE(p.ok());
  BOOST_TEST(p->header_length == 24u);
  BOOST_TEST(p->header.options == from_hex("94040000"), boost::test_tools::per_element());
  BOOST_TEST(p->header.protocol == 253);
  BOOST_TEST(p->header.source.to_string() == "192.0.2.1");
  BOOST_TEST(p->header.destination.to_string() == "198.51.100.7");
  BOOST_TEST(p->checksum_ok);
  BOOST_TEST(std::string(as_chars(p->payload)) == "xyz");  // bounded by total length 27
}

BOOST_AUTO_TEST_CASE(reports_a_bad_header_checksum_without_refusing) {
  Bytes bytes = from_hex(fixtures::kLoopbackRst);
  bytes[8] = 63;  // TTL changed, checksum not updated
  auto p = parse_ipv4(bytes);
  BOOST_REQUIRE(p.ok());
  BOOST_TEST(!p->checksum_ok);
  BOOST_TEST(p->header.ttl == 63);
}

BOOST_AUTO_TEST_CASE(rebuilding_a_parsed_datagram_gives_the_same_bytes) {
  for (auto hex : {fixtures::kLoopbackRst, fixtures::kLinuxTimeExceeded,
                   fixtures::kCraftedAllOptions, fixtures::kLoopbackEchoReply}) {
    Bytes bytes = from_hex(hex);
    auto p = parse_ipv4(bytes);
    BOOST_REQUIRE(p.ok());
    Bytes rebuilt = build_ipv4(p->header, p->payload);
    BOOST_TEST(to_hex(rebuilt) == to_hex(bytes));
  }
  // With options, and without the link padding that follows the datagram.
  Bytes padded = from_hex(fixtures::kIpv4WithOptionsAndPadding);
  auto p = parse_ipv4(padded);
  BOOST_REQUIRE(p.ok());
  BOOST_TEST(to_hex(build_ipv4(p->header, p->payload)) == to_hex(ByteView(padded).first(27)));
}

BOOST_AUTO_TEST_CASE(builds_every_field_and_a_valid_checksum) {
  Ipv4Header h;
  h.dscp = 46;
  h.ecn = 1;
  h.identification = 0xbeef;
  h.dont_fragment = false;
  h.more_fragments = true;
  h.fragment_offset = 0x1abc;
  h.ttl = 3;
  h.protocol = 99;
  h.source = Ipv4Address(10, 1, 2, 3);
  h.destination = Ipv4Address(172, 16, 0, 9);
  h.options = {0x01, 0x01, 0x01};  // padded with one zero byte to 4
  std::array<std::uint8_t, 5> payload{1, 2, 3, 4, 5};
  Bytes bytes = build_ipv4(h, payload);
  BOOST_TEST(bytes.size() == 29u);
  BOOST_TEST(bytes[0] == 0x46);
  BOOST_TEST(bytes[1] == ((46 << 2) | 1));
  BOOST_TEST(internet_checksum(ByteView(bytes).first(24)) == 0);

  auto p = parse_ipv4(bytes);
  BOOST_REQUIRE(p.ok());
  BOOST_TEST(p->checksum_ok);
  BOOST_TEST(p->header.dscp == 46);
  BOOST_TEST(p->header.ecn == 1);
  BOOST_TEST(p->header.identification == 0xbeef);
  BOOST_TEST(!p->header.dont_fragment);
  BOOST_TEST(p->header.more_fragments);
  BOOST_TEST(p->header.fragment_offset == 0x1abc);
  BOOST_TEST(p->header.is_fragment());
  BOOST_TEST(p->header.ttl == 3);
  BOOST_TEST(p->header.protocol == 99);
  BOOST_TEST(p->header.source == h.source);
  BOOST_TEST(p->header.destination == h.destination);
  BOOST_TEST(p->header.options == from_hex("01010100"), boost::test_tools::per_element());
  BOOST_TEST(p->payload.size() == 5u);
}

BOOST_AUTO_TEST_CASE(builder_refuses_what_cannot_be_encoded) {
  Ipv4Header h;
  h.options.assign(41, 1);
  BOOST_CHECK_THROW(build_ipv4(h, {}), std::length_error);
  Ipv4Header plain;
  Bytes big(65535 - 19, 0);
  BOOST_CHECK_THROW(build_ipv4(plain, big), std::length_error);
  Bytes fits(65535 - 20, 0);
  BOOST_TEST(build_ipv4(plain, fits).size() == 65535u);
}

namespace {
// Parses and returns the message and the error kind; fails the test if parsing succeeds.
std::pair<std::string, PacketError> parse_error(ByteView bytes) {
  PacketError kind{};
  auto p = parse_ipv4(bytes, &kind);
  BOOST_TEST(!p.ok());
  return {p.ok() ? std::string() : p.message(), kind};
}
}  // namespace

BOOST_AUTO_TEST_CASE(rejects_malformed_headers_with_precise_errors) {
  Bytes good = from_hex(fixtures::kLoopbackRst);

  auto [short_msg, short_kind] = parse_error(ByteView(good).first(19));
  BOOST_TEST(short_msg == "IPv4: 19 bytes, a header needs at least 20");
  BOOST_TEST((short_kind == PacketError::kTruncated));

  Bytes v6 = good;
  v6[0] = 0x65;
  auto [v_msg, v_kind] = parse_error(v6);
  BOOST_TEST(v_msg == "IPv4: version 6, expected 4");
  BOOST_TEST((v_kind == PacketError::kBadVersion));

  Bytes ihl4 = good;
  ihl4[0] = 0x44;
  auto [ihl_msg, ihl_kind] = parse_error(ihl4);
  BOOST_TEST(ihl_msg == "IPv4: header length 16 bytes (IHL 4), minimum is 20");
  BOOST_TEST((ihl_kind == PacketError::kBadHeaderLength));

  Bytes long_header = good;
  long_header[0] = 0x4f;  // 60-byte header in a 40-byte buffer
  long_header[3] = 60;
  auto [lh_msg, lh_kind] = parse_error(long_header);
  BOOST_TEST(lh_msg == "IPv4: header length 60 exceeds 40 bytes received");
  BOOST_TEST((lh_kind == PacketError::kTruncated));

  Bytes too_long = good;
  too_long[3] = 60;
  auto [tl_msg, tl_kind] = parse_error(too_long);
  BOOST_TEST(tl_msg == "IPv4: total length 60 exceeds 40 bytes received");
  BOOST_TEST((tl_kind == PacketError::kBadTotalLength));

  Bytes too_short = good;
  too_short[3] = 19;
  auto [ts_msg, ts_kind] = parse_error(too_short);
  BOOST_TEST(ts_msg == "IPv4: total length 19 is smaller than the header length 20");
  BOOST_TEST((ts_kind == PacketError::kBadTotalLength));
}

BOOST_AUTO_TEST_CASE(every_truncation_of_a_valid_datagram_is_an_error) {
  for (auto hex : {fixtures::kLoopbackRst, fixtures::kLinuxTimeExceeded,
                   fixtures::kCraftedAllOptions}) {
    Bytes bytes = from_hex(hex);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      auto p = parse_ipv4(ByteView(bytes).first(n));
      BOOST_TEST_REQUIRE(!p.ok(), "accepted " << n << " of " << bytes.size() << " bytes");
    }
    BOOST_TEST(parse_ipv4(bytes).ok());
  }
}

BOOST_AUTO_TEST_CASE(quoted_header_accepts_a_cut_short_datagram) {
  // The first 28 bytes of the captured RST: a header that declares 40 bytes, 8 of them present.
  Bytes bytes = from_hex(fixtures::kLoopbackRst);
  ByteView quote = ByteView(bytes).first(28);
  BOOST_TEST(!parse_ipv4(quote).ok());
  auto p = parse_ipv4_quoted(quote);
  BOOST_REQUIRE(p.ok());
  BOOST_TEST(p->total_length == 40u);
  BOOST_TEST(p->payload.size() == 8u);
  BOOST_TEST(p->checksum_ok);
  // A quote still needs the whole header.
  auto cut = parse_ipv4_quoted(ByteView(bytes).first(19));
  BOOST_REQUIRE(!cut.ok());
  BOOST_TEST(cut.message() == "quoted IPv4: 19 bytes, a header needs at least 20");
}

BOOST_AUTO_TEST_CASE(error_kinds_have_stable_names) {
  BOOST_TEST(to_string(PacketError::kTruncated) == "truncated");
  BOOST_TEST(to_string(PacketError::kBadOption) == "bad-option");
  BOOST_TEST(to_string(PacketError::kFragment) == "fragment");
}
