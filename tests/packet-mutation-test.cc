// Hostile input for the packet codecs: every truncation of every fixture, and a deterministic
// mutation loop. Parsers must return errors, never crash or read out of bounds (run this under
// -DMITMLAB_SANITIZE=ON to check the latter); whatever they accept must rebuild to the input.
#define BOOST_TEST_MODULE packet_mutation
#include <boost/test/unit_test.hpp>

#include <array>
#include <random>
#include <string_view>

#include "net/icmp-message.h"
#include "net/ipv4-packet.h"
#include "net/tcp-segment.h"
#include "tests/support/packet-fixtures.h"

using namespace mitmlab;
using fixtures::from_hex;

namespace {

constexpr std::array<std::string_view, 9> kAllFixtures{
    fixtures::kLoopbackRst,         fixtures::kLoopbackSynPartialChecksum,
    fixtures::kLoopbackDataPartialChecksum, fixtures::kLoopbackEchoReply,
    fixtures::kLinuxTimeExceeded,   fixtures::kCraftedAllOptions,
    fixtures::kNs3StyleTimeExceeded, fixtures::kFragmentationNeeded,
    fixtures::kIpv4WithOptionsAndPadding};

struct Outcome {
  bool ip = false;
  bool transport = false;
};

// Copies the checksum field at `at` from `from` into `to` (when both are long enough), so a
// rebuilt packet, whose checksums are always correct, compares equal to a mutated input
// whose checksums are not.
void copy_u16(Bytes& to, ByteView from, std::size_t at) {
  if (at + 2 <= to.size() && at + 2 <= from.size()) {
    to[at] = from[at];
    to[at + 1] = from[at + 1];
  }
}

// Parses as the engine would (IPv4, then TCP or ICMP) and checks that anything accepted
// rebuilds to the same bytes, checksum fields aside.
Outcome parse_and_rebuild(ByteView input) {
  Outcome out;
  PacketError kind{};
  auto ip = parse_ipv4(input, &kind);
  if (!ip) {
    BOOST_TEST_REQUIRE(!ip.message().empty());
    return out;
  }
  out.ip = true;
  ByteView datagram = input.first(ip->total_length);
  Bytes rebuilt_ip = build_ipv4(ip->header, ip->payload);
  copy_u16(rebuilt_ip, datagram, 10);
  BOOST_TEST_REQUIRE(to_hex(rebuilt_ip) == to_hex(datagram));

  const std::size_t h = ip->header_length;
  if (ip->header.protocol == ip_protocol::kTcp) {
    auto tcp = parse_tcp(*ip, &kind);
    if (!tcp) {
      BOOST_TEST_REQUIRE(!tcp.message().empty());
      return out;
    }
    out.transport = true;
    // Rebuilding must reproduce the bytes whenever the option area re-encodes exactly; the
    // options are kept raw precisely so that it always does.
    Bytes rebuilt = build_tcp_packet(ip->header, tcp->header, tcp->payload);
    copy_u16(rebuilt, datagram, 10);
    copy_u16(rebuilt, datagram, h + 16);
    BOOST_TEST_REQUIRE(to_hex(rebuilt) == to_hex(datagram));
    if (tcp->checksum_ok) {
      BOOST_TEST_REQUIRE(tcp_checksum(ip->payload, ip->header.source, ip->header.destination) ==
                         tcp->checksum);
    }
  } else if (ip->header.protocol == ip_protocol::kIcmp) {
    auto icmp = parse_icmp(*ip, &kind);
    if (!icmp) {
      BOOST_TEST_REQUIRE(!icmp.message().empty());
      return out;
    }
    out.transport = true;
    Bytes rebuilt = build_icmp_packet(ip->header, icmp->body);
    copy_u16(rebuilt, datagram, 10);
    copy_u16(rebuilt, datagram, h + 2);
    BOOST_TEST_REQUIRE(to_hex(rebuilt) == to_hex(datagram));
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_fixture_parses_and_rebuilds) {
  for (std::string_view hex : kAllFixtures) {
    Bytes bytes = from_hex(hex);
    Outcome o = parse_and_rebuild(bytes);
    BOOST_TEST(o.ip);
    BOOST_TEST(o.transport == (hex != fixtures::kIpv4WithOptionsAndPadding));
  }
}

BOOST_AUTO_TEST_CASE(every_truncation_of_every_fixture_fails_cleanly) {
  for (std::string_view hex : kAllFixtures) {
    Bytes bytes = from_hex(hex);
    auto whole = parse_ipv4(bytes);
    BOOST_REQUIRE(whole.ok());
    for (std::size_t n = 0; n < whole->total_length; ++n) {
      // A fresh copy of exactly n bytes, so the sanitizer sees any read past the end.
      Bytes cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
      Outcome o = parse_and_rebuild(cut);
      BOOST_TEST_REQUIRE(!o.ip, "IPv4 accepted " << n << " of " << whole->total_length);
      // The transport parsers on their own, at every cut of the transport bytes.
      if (n < whole->header_length) continue;
      ByteView transport = ByteView(cut).subspan(whole->header_length);
      if (whole->header.protocol == ip_protocol::kTcp) {
        auto t = parse_tcp(transport, whole->header.source, whole->header.destination);
        // A cut inside the header must fail; a cut in the payload is a shorter valid segment.
        auto full = parse_tcp(whole->payload, whole->header.source, whole->header.destination);
        BOOST_REQUIRE(full.ok());
        BOOST_TEST_REQUIRE(t.ok() == (transport.size() >= full->header_length));
      } else if (whole->header.protocol == ip_protocol::kIcmp) {
        auto m = parse_icmp(transport);
        BOOST_TEST_REQUIRE(m.ok() == (transport.size() >= kIcmpHeaderLength));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(seeded_mutations_never_crash_and_what_parses_rebuilds) {
  std::mt19937 rng(20190718);  // fixed seed: the same inputs every run
  std::vector<Bytes> seeds;
  for (std::string_view hex : kAllFixtures) seeds.push_back(from_hex(hex));

  // Offsets of the fields most worth corrupting: IPv4 version/IHL, total length, flags,
  // protocol; TCP data offset; the first option bytes; ICMP type and the quoted header.
  constexpr std::array<std::size_t, 12> kHotOffsets{0, 2, 3, 6, 9, 32, 40, 41, 42, 20, 28, 31};

  std::size_t accepted_ip = 0, accepted_transport = 0, rejected = 0;
  constexpr int kRounds = 20000;
  for (int round = 0; round < kRounds; ++round) {
    Bytes input = seeds[rng() % seeds.size()];
    int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations && !input.empty(); ++m) {
      switch (rng() % 6) {
        case 0: {  // flip one bit anywhere
          std::size_t at = rng() % input.size();
          input[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;
        }
        case 1: {  // a random byte at a hot offset (length and offset fields)
          std::size_t at = kHotOffsets[rng() % kHotOffsets.size()];
          if (at < input.size()) input[at] = static_cast<std::uint8_t>(rng());
          break;
        }
        case 2: {  // nudge the IPv4 total length
          if (input.size() >= 4) {
            int total = (input[2] << 8 | input[3]) + static_cast<int>(rng() % 41) - 20;
            input[2] = static_cast<std::uint8_t>(total >> 8);
            input[3] = static_cast<std::uint8_t>(total);
          }
          break;
        }
        case 3: {  // truncate
          input.resize(rng() % (input.size() + 1));
          break;
        }
        case 4: {  // append junk (link padding or garbage)
          std::size_t extra = rng() % 16;
          for (std::size_t i = 0; i < extra; ++i) input.push_back(static_cast<std::uint8_t>(rng()));
          break;
        }
        case 5: {  // nudge a TCP data offset or an option length after a 20-byte IPv4 header
          std::size_t at = rng() % 2 == 0 ? 32 : 40 + rng() % 20;
          if (at < input.size()) input[at] = static_cast<std::uint8_t>(input[at] + (rng() % 5) - 2);
          break;
        }
      }
    }
    Outcome o = parse_and_rebuild(input);
    accepted_ip += o.ip;
    accepted_transport += o.transport;
    rejected += !o.ip;
    // The quoted-datagram parser is the most lenient one: feed it everything as well.
    QuotedDatagram q = parse_quoted_datagram(input);
    BOOST_TEST_REQUIRE(q.bytes.size() == input.size());
    if (q.tcp_seq) BOOST_TEST_REQUIRE(q.source_port.has_value());
  }
  BOOST_TEST_MESSAGE("accepted IPv4 " << accepted_ip << ", transport " << accepted_transport
                                      << ", rejected " << rejected);
  // The loop must exercise both sides, or it proves nothing.
  BOOST_TEST(accepted_transport > kRounds / 10u);
  BOOST_TEST(rejected > kRounds / 10u);
}
