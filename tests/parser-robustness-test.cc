#define BOOST_TEST_MODULE parser_robustness
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "net/client-hello-reassembler.h"
#include "net/client-hello.h"
#include "net/icmp-message.h"
#include "net/ipv4-packet.h"
#include "net/tcp-segment.h"
#include "net/tls-fingerprint.h"
#include "net/tls-record.h"
#include "tests/support/packet-fixtures.h"
#include "tests/support/tls-fixtures.h"

// The network parsers take bytes from anyone: they must return an error, never throw and
// never read out of bounds. This feeds them seeded mutations (bit flips, byte sets,
// truncations, insertions) of every committed packet and ClientHello fixture. In the Release
// build it checks "never throws"; under scripts/test-sanitizers ASan and UBSan check the rest.
// The seed is fixed, so a failure reproduces; the failing input is printed in hex.

using namespace mitmlab;

namespace {

constexpr int kIterations = 20000;

std::vector<Bytes> seeds() {
  std::vector<Bytes> out;
  for (auto hex : {fixtures::kLoopbackRst, fixtures::kLoopbackSynPartialChecksum,
                   fixtures::kLoopbackDataPartialChecksum, fixtures::kLoopbackEchoReply,
                   fixtures::kLinuxTimeExceeded, fixtures::kCraftedAllOptions,
                   fixtures::kNs3StyleTimeExceeded, fixtures::kFragmentationNeeded,
                   fixtures::kIpv4WithOptionsAndPadding})
    out.push_back(fixtures::from_hex(hex));
  for (auto name : {"openssl-tls13-sni-alpn.bin", "openssl-tls12-nosni.bin", "grease-chrome-like.bin"})
    out.push_back(test::tls_fixture(name));
  return out;
}

void mutate(Bytes& b, std::mt19937& rng) {
  static constexpr std::uint8_t kEdges[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
  const int count = 1 + static_cast<int>(rng() % 8);
  for (int k = 0; k < count && !b.empty(); ++k) {
    const std::size_t at = rng() % b.size();
    switch (rng() % 5) {
      case 0: b[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8)); break;
      case 1: b[at] = static_cast<std::uint8_t>(rng()); break;
      case 2: b.resize(rng() % (b.size() + 1)); break;
      case 3: b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(rng())); break;
      default: b[at] = kEdges[rng() % 5]; break;
    }
  }
}

void fingerprint_and_reencode(const ClientHello& hello) {
  (void)ja3_hash(hello);
  (void)ja4(hello);
  (void)ja4_raw(hello);
  const Bytes again = encode_client_hello(hello);
  (void)parse_client_hello(again);
}

// Everything a hostile peer's bytes can reach in net/.
void parse_everything(ByteView bytes, std::mt19937& rng) {
  // The reassembler, fed in random cuts; then what it completes.
  ClientHelloReassembler reassembler;
  for (std::size_t at = 0; at < bytes.size();) {
    const std::size_t n = 1 + rng() % (bytes.size() - at);
    auto outcome = reassembler.feed(bytes.subspan(at, n));
    at += n;
    if (auto* done = std::get_if<ClientHelloReassembler::Complete>(&outcome)) {
      fingerprint_and_reencode(done->hello);
      break;
    }
    if (!std::holds_alternative<ClientHelloReassembler::NeedMore>(outcome)) break;
  }
  // The handshake message directly, past a record header.
  if (bytes.size() > 5)
    if (auto hello = parse_client_hello(bytes.subspan(5))) fingerprint_and_reencode(*hello);
  (void)parse_record_header(bytes, RecordProtection::plaintext);
  (void)next_record(bytes, RecordProtection::plaintext);
  (void)next_record(bytes, RecordProtection::ciphertext);
  (void)parse_ipv4(bytes);
  (void)parse_ipv4_quoted(bytes);
  (void)parse_quoted_datagram(bytes);
  (void)parse_tcp_packet(bytes);
  (void)parse_icmp_packet(bytes);
  (void)parse_icmp(bytes);
  if (bytes.size() > 20) (void)parse_tcp(bytes.subspan(20), Ipv4Address{0x0a000001}, Ipv4Address{0x0a000002});
}

std::string hex(const Bytes& b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (auto c : b) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(mutated_fixtures_never_make_a_parser_throw) {
  const auto corpus = seeds();
  std::mt19937 rng(20190717);  // fixed: failures reproduce
  for (int i = 0; i < kIterations; ++i) {
    Bytes input = corpus[rng() % corpus.size()];
    mutate(input, rng);
    try {
      parse_everything(input, rng);
    } catch (const std::exception& e) {
      BOOST_FAIL("iteration " << i << ": " << e.what() << "\n  input: " << hex(input));
    }
  }
}

BOOST_AUTO_TEST_CASE(every_prefix_of_every_fixture_parses_without_throwing) {
  std::mt19937 rng(7);
  for (const Bytes& whole : seeds()) {
    for (std::size_t n = 0; n <= whole.size(); ++n) {
      const Bytes prefix(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
      BOOST_CHECK_NO_THROW(parse_everything(prefix, rng));
    }
  }
}
