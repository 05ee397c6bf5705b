// Hostile input straight into Engine::on_packet, no ns-3: every truncation of every packet of
// a conversation, and a deterministic mutation loop over its bytes and over the ClientHello
// inside it (checksums repaired so that the damage reaches TCP and TLS parsing). The engine
// must never crash, must pass the flow through, and must count what it saw.
#define BOOST_TEST_MODULE engine_malformed
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <random>

#include "interceptor/engine.h"
#include "net/tcp-segment.h"
#include "tests/support/engine-test-packets.h"
#include "tests/support/openssl-client-hello.h"

using namespace mitmlab;
using namespace std::chrono_literals;
using test::ScriptedConversation;

namespace {

const Ipv4Address kClient{10, 0, 0, 1};
const Ipv4Address kServer{10, 0, 4, 2};

EngineConfig test_config() {
  EngineConfig c;
  c.targets = {"target.test"};
  return c;
}

void handshake(Engine& e, const ScriptedConversation& c) {
  BOOST_REQUIRE(e.on_packet(1ms, LinkSide::kA, c.syn()) == Disposition::kForward);
  BOOST_REQUIRE(e.on_packet(2ms, LinkSide::kB, c.syn_ack()) == Disposition::kForward);
  BOOST_REQUIRE(e.on_packet(3ms, LinkSide::kA, c.ack()) == Disposition::kForward);
}

std::size_t drain(Engine& e) {
  std::size_t n = 0;
  while (e.poll_transmit()) ++n;
  return n;
}

Bytes hello_for(std::optional<std::string> sni) {
  test::ClientHelloOptions o;
  o.sni = std::move(sni);
  return test::openssl_client_hello(o);
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_truncation_is_forwarded_and_counted) {
  ScriptedConversation c(kClient, 40000, kServer, 443);
  const Bytes hello = hello_for("target.test");
  const std::vector<Bytes> packets = {c.syn(), c.syn_ack(), c.ack(), c.client_data(hello, 0)};
  Engine e(test_config());
  std::uint64_t expected_malformed = 0;
  for (const Bytes& p : packets) {
    for (std::size_t n = 0; n < p.size(); ++n) {
      BOOST_TEST((e.on_packet(1ms, LinkSide::kA, ByteView(p).first(n)) == Disposition::kForward));
      ++expected_malformed;
    }
  }
  BOOST_TEST(e.counters().malformed_packets == expected_malformed);
  BOOST_TEST(e.flow_count() == 0u);
  BOOST_TEST(e.counters().packets_forwarded == expected_malformed);
  BOOST_TEST(drain(e) == 0u);
}

BOOST_AUTO_TEST_CASE(raw_byte_mutations_never_crash_and_unparsable_ones_are_counted) {
  ScriptedConversation c(kClient, 40001, kServer, 443);
  const Bytes hello = hello_for("target.test");
  const Bytes data = c.client_data(hello, 0);
  std::mt19937 rng(2019);
  std::uint64_t malformed_expected_at_least = 0;
  for (int i = 0; i < 2000; ++i) {
    Engine e(test_config());
    handshake(e, c);
    Bytes p = data;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) p[rng() % p.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    if (rng() % 4 == 0) p.resize(rng() % p.size());
    const Result<TcpPacket> parsed = parse_tcp_packet(p);
    const bool valid = parsed && parsed->ip.checksum_ok && parsed->tcp.checksum_ok;
    const Disposition d = e.on_packet(4ms, LinkSide::kA, p);
    if (!valid) {
      ++malformed_expected_at_least;
      BOOST_TEST((d == Disposition::kForward));
      BOOST_TEST(e.counters().malformed_packets == 1u);
    }
    e.on_timeout(1h);
    drain(e);
    BOOST_TEST(e.flow_count() == 0u);
  }
  BOOST_TEST(malformed_expected_at_least > 1500u);
}

// Damage inside the TLS bytes, checksums repaired: the ClientHello parser gets garbage. Each
// flow ends in exactly one decision; whatever was held is released.
BOOST_AUTO_TEST_CASE(client_hello_mutations_pass_through_and_move_counters) {
  const Bytes hello = hello_for("target.test");
  std::mt19937 rng(7);
  std::uint64_t not_tls = 0, malformed_hello = 0, other = 0;
  for (int i = 0; i < 3000; ++i) {
    ScriptedConversation c(kClient, static_cast<std::uint16_t>(20000 + i % 1000), kServer, 443);
    Engine e(test_config());
    handshake(e, c);
    Bytes h = hello;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) {
      // Mostly in the first bytes, where the lengths and types live.
      const std::size_t at = rng() % 2 == 0 ? rng() % std::min<std::size_t>(h.size(), 64) : rng() % h.size();
      h[at] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    }
    if (rng() % 5 == 0) h.resize(1 + rng() % h.size());
    if (rng() % 5 == 0) h.insert(h.end(), 1 + rng() % 40, static_cast<std::uint8_t>(rng()));
    std::vector<Bytes> segs = test::client_segments(c, h, rng() % 2 == 0 ? h.size() : 1 + rng() % 300);
    std::size_t held = 0;
    for (const Bytes& s : segs) {
      if (e.on_packet(4ms, LinkSide::kA, s) == Disposition::kDrop) ++held;
    }
    e.on_timeout(1h);  // an incomplete hello idles out and is released
    const std::size_t released = drain(e);
    BOOST_TEST(e.flow_count() == 0u);
    BOOST_TEST(e.counters().malformed_packets == 0u);
    // Every held segment came back out.
    BOOST_TEST(released == held);
    // One decision per flow.
    std::size_t decisions = 0;
    for (const EngineEvent& ev : e.events().events()) decisions += ev.kind == EventKind::kDecision;
    BOOST_TEST(decisions == 1u);
    not_tls += e.counters().passthrough(PassReason::kNotTls);
    malformed_hello += e.counters().passthrough(PassReason::kMalformedClientHello);
    other += e.counters().flows_passthrough() - e.counters().passthrough(PassReason::kNotTls) -
             e.counters().passthrough(PassReason::kMalformedClientHello);
  }
  BOOST_TEST(not_tls > 0u);
  BOOST_TEST(malformed_hello > 500u);
  BOOST_TEST_MESSAGE("not_tls " << not_tls << " malformed " << malformed_hello << " other " << other);
}

BOOST_AUTO_TEST_CASE(non_tcp_and_fragments_are_forwarded_untouched) {
  Engine e(test_config());
  Ipv4Header udp{.protocol = ip_protocol::kUdp, .source = kClient, .destination = kServer};
  const Bytes payload(12, 0x42);
  BOOST_TEST((e.on_packet(1ms, LinkSide::kA, build_ipv4(udp, payload)) == Disposition::kForward));
  Ipv4Header frag{.more_fragments = true, .protocol = ip_protocol::kTcp, .source = kClient, .destination = kServer};
  frag.dont_fragment = false;
  BOOST_TEST((e.on_packet(1ms, LinkSide::kA, build_ipv4(frag, payload)) == Disposition::kForward));
  BOOST_TEST(e.counters().malformed_packets == 0u);
  BOOST_TEST(e.counters().packets_forwarded == 2u);
  BOOST_TEST(e.flow_count() == 0u);
}
