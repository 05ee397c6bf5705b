// The engine's flow tracking and decisions on scripted packets, no ns-3: handshake seen or
// not, either side as the client, hellos in one or many segments (held, released
// byte-identical), retransmissions absorbed, reasons, table full, idle expiry, FIN and RST.
#define BOOST_TEST_MODULE engine_flow
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>

#include "interceptor/engine.h"
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

std::vector<OutboundPacket> drain(Engine& e) {
  std::vector<OutboundPacket> out;
  while (auto p = e.poll_transmit()) out.push_back(std::move(*p));
  return out;
}

// Feeds the three handshake segments with the client on `client_side`.
void handshake(Engine& e, const ScriptedConversation& c, LinkSide client_side = LinkSide::kA) {
  BOOST_REQUIRE(e.on_packet(1ms, client_side, c.syn()) == Disposition::kForward);
  BOOST_REQUIRE(e.on_packet(2ms, other_side(client_side), c.syn_ack()) == Disposition::kForward);
  BOOST_REQUIRE(e.on_packet(3ms, client_side, c.ack()) == Disposition::kForward);
}

const EngineEvent* last_decision(const Engine& e) {
  const auto& ev = e.events().events();
  for (auto it = ev.rbegin(); it != ev.rend(); ++it)
    if (it->kind == EventKind::kDecision) return &*it;
  return nullptr;
}

std::size_t count_kind(const Engine& e, EventKind kind) {
  const auto& ev = e.events().events();
  return static_cast<std::size_t>(
      std::count_if(ev.begin(), ev.end(), [&](const EngineEvent& x) { return x.kind == kind; }));
}

Bytes hello_for(std::optional<std::string> sni) {
  test::ClientHelloOptions o;
  o.sni = std::move(sni);
  return test::openssl_client_hello(o);
}

}  // namespace

BOOST_AUTO_TEST_CASE(single_segment_hello_of_other_sni_is_forwarded_at_once) {
  Engine e(test_config());
  ScriptedConversation c(kClient, 40000, kServer, 443);
  handshake(e, c);
  BOOST_TEST(count_kind(e, EventKind::kFlowTracked) == 1u);
  const Bytes hello = hello_for("other.test");
  BOOST_TEST((e.on_packet(4ms, LinkSide::kA, c.client_data(hello, 0)) == Disposition::kForward));
  BOOST_TEST(drain(e).empty());
  const EngineEvent* d = last_decision(e);
  BOOST_REQUIRE(d);
  BOOST_TEST((d->verdict == EventVerdict::kPassthrough));
  BOOST_TEST((d->reason == PassReason::kNotTarget));
  BOOST_TEST(d->sni.value_or("") == "other.test");
  BOOST_TEST(e.counters().passthrough(PassReason::kNotTarget) == 1u);
  BOOST_TEST(e.counters().packets_held == 0u);
  // Later packets of the flow go on untouched, both ways.
  BOOST_TEST((e.on_packet(5ms, LinkSide::kB, c.server_data(as_bytes("x"), 0)) == Disposition::kForward));
  BOOST_TEST((e.find_flow(FlowKey{kClient.value, 40000, kServer.value, 443})->phase == FlowPhase::kPassthrough));
}

BOOST_AUTO_TEST_CASE(hello_in_many_segments_is_held_then_released_byte_identical) {
  Engine e(test_config());
  ScriptedConversation c(kClient, 40001, kServer, 443);
  handshake(e, c);
  const Bytes hello = hello_for("nottarget.test");
  std::vector<Bytes> segs = test::client_segments(c, hello, 100);
  BOOST_REQUIRE(segs.size() >= 3);
  for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
    BOOST_TEST((e.on_packet(4ms, LinkSide::kA, segs[i]) == Disposition::kDrop));
    // A retransmission of a held segment is absorbed, not held twice.
    BOOST_TEST((e.on_packet(5ms, LinkSide::kA, segs[i]) == Disposition::kDrop));
  }
  BOOST_TEST(drain(e).empty());
  BOOST_TEST(e.counters().packets_held == segs.size() - 1);
  BOOST_TEST((e.on_packet(6ms, LinkSide::kA, segs.back()) == Disposition::kDrop));
  std::vector<OutboundPacket> out = drain(e);
  BOOST_REQUIRE(out.size() == segs.size());
  for (std::size_t i = 0; i < segs.size(); ++i) {
    BOOST_TEST((out[i].side == LinkSide::kB));
    BOOST_TEST(out[i].ipv4 == segs[i]);
  }
  BOOST_TEST(e.counters().packets_released == segs.size());
  BOOST_TEST((last_decision(e)->reason == PassReason::kNotTarget));
}

BOOST_AUTO_TEST_CASE(client_on_side_b_is_the_client) {
  Engine e(test_config());
  ScriptedConversation c(kServer, 40002, kClient, 443);  // the initiator sits on side B
  handshake(e, c, LinkSide::kB);
  const Bytes hello = hello_for(std::nullopt);
  BOOST_TEST((e.on_packet(4ms, LinkSide::kB, c.client_data(hello, 0)) == Disposition::kForward));
  const EngineEvent* d = last_decision(e);
  BOOST_REQUIRE(d);
  BOOST_TEST((d->reason == PassReason::kNoSni));
  BOOST_TEST(d->flow->client_addr == kServer.value);
  BOOST_TEST((e.find_flow(*d->flow)->client_side == LinkSide::kB));
}

BOOST_AUTO_TEST_CASE(target_is_decided_intercept_in_decide_only_mode) {
  Engine e(test_config());
  ScriptedConversation c(kClient, 40003, kServer, 443);
  handshake(e, c);
  const Bytes hello = hello_for("TARGET.test");
  BOOST_TEST((e.on_packet(4ms, LinkSide::kA, c.client_data(hello, 0)) == Disposition::kForward));
  const EngineEvent* d = last_decision(e);
  BOOST_REQUIRE(d);
  BOOST_TEST((d->verdict == EventVerdict::kIntercept));
  BOOST_TEST(d->details.value("action", "") == "observe_only");
  BOOST_TEST(e.counters().flows_passthrough() == 0u);
}

BOOST_AUTO_TEST_CASE(reasons_port_handshake_not_seen_not_tls_schedule) {
  EngineConfig cfg = test_config();
  cfg.schedule.active = std::vector<ScheduleInterval>{{10s, 20s}};
  Engine e(cfg);
  ScriptedConversation other_port(kClient, 40010, kServer, 8443);
  BOOST_TEST((e.on_packet(1ms, LinkSide::kA, other_port.syn()) == Disposition::kForward));
  BOOST_TEST(e.counters().passthrough(PassReason::kPort) == 1u);
  BOOST_TEST(e.flow_count() == 0u);

  ScriptedConversation midstream(kClient, 40011, kServer, 443);
  BOOST_TEST((e.on_packet(1ms, LinkSide::kA, midstream.client_data(as_bytes("abc"), 0)) == Disposition::kForward));
  BOOST_TEST((e.on_packet(2ms, LinkSide::kB, midstream.server_data(as_bytes("def"), 0)) == Disposition::kForward));
  BOOST_TEST(e.counters().passthrough(PassReason::kHandshakeNotSeen) == 1u);

  ScriptedConversation http(kClient, 40012, kServer, 443);
  handshake(e, http);
  BOOST_TEST((e.on_packet(4ms, LinkSide::kA, http.client_data(as_bytes("GET / HTTP/1.1\r\n"), 0)) ==
              Disposition::kForward));
  BOOST_TEST(e.counters().passthrough(PassReason::kNotTls) == 1u);

  ScriptedConversation off(kClient, 40013, kServer, 443);
  handshake(e, off);
  const Bytes hello = hello_for("target.test");
  BOOST_TEST((e.on_packet(5ms, LinkSide::kA, off.client_data(hello, 0)) == Disposition::kForward));
  BOOST_TEST(e.counters().passthrough(PassReason::kScheduleOff) == 1u);
  BOOST_TEST(e.counters().flows_seen == 4u);
}

BOOST_AUTO_TEST_CASE(table_full_passes_new_flows_and_counts) {
  EngineConfig cfg = test_config();
  cfg.bounds.max_flows = 2;
  Engine e(cfg);
  for (std::uint16_t port = 41000; port < 41003; ++port) {
    ScriptedConversation c(kClient, port, kServer, 443);
    BOOST_TEST((e.on_packet(1ms, LinkSide::kA, c.syn()) == Disposition::kForward));
  }
  BOOST_TEST(e.flow_count() == 2u);
  BOOST_TEST(e.counters().passthrough(PassReason::kTableFull) == 1u);
}

BOOST_AUTO_TEST_CASE(idle_flows_expire_and_incomplete_hellos_are_released) {
  Engine e(test_config());
  ScriptedConversation a(kClient, 42000, kServer, 443);
  BOOST_TEST((e.on_packet(1ms, LinkSide::kA, a.syn()) == Disposition::kForward));
  ScriptedConversation b(kClient, 42001, kServer, 443);
  handshake(e, b);
  const Bytes hello = hello_for("x.test");
  const Bytes first = b.client_data(ByteView(hello).first(50), 0);
  BOOST_TEST((e.on_packet(4ms, LinkSide::kA, first) == Disposition::kDrop));
  BOOST_REQUIRE(e.next_timeout().has_value());
  BOOST_TEST(e.next_timeout()->count() > std::chrono::nanoseconds(29s).count());
  e.on_timeout(5s);  // early: a no-op
  BOOST_TEST(e.flow_count() == 2u);
  e.on_timeout(*e.next_timeout() + 1s);
  BOOST_TEST(e.flow_count() == 0u);
  BOOST_TEST(e.counters().flows_expired == 2u);
  std::vector<OutboundPacket> out = drain(e);
  BOOST_REQUIRE(out.size() == 1u);
  BOOST_TEST(out[0].ipv4 == first);
  BOOST_TEST(e.counters().passthrough(PassReason::kMalformedClientHello) == 1u);
  BOOST_TEST(!e.next_timeout().has_value());
}

BOOST_AUTO_TEST_CASE(fin_both_ways_and_rst_close_the_flow) {
  Engine e(test_config());
  ScriptedConversation c(kClient, 43000, kServer, 443);
  handshake(e, c);
  const Bytes hello = hello_for("x.test");
  BOOST_TEST((e.on_packet(4ms, LinkSide::kA, c.client_data(hello, 0)) == Disposition::kForward));
  const auto n = static_cast<std::uint32_t>(hello.size());
  BOOST_TEST((e.on_packet(5ms, LinkSide::kA, c.client_fin(n)) == Disposition::kForward));
  BOOST_TEST(e.counters().flows_closed == 0u);
  BOOST_TEST((e.on_packet(6ms, LinkSide::kB, c.server_fin(0, n + 1)) == Disposition::kForward));
  BOOST_TEST(e.counters().flows_closed == 1u);
  // It lingers, then leaves without being counted again.
  BOOST_TEST(e.flow_count() == 1u);
  e.on_timeout(10s);
  BOOST_TEST(e.flow_count() == 0u);
  BOOST_TEST(e.counters().flows_expired == 0u);

  ScriptedConversation r(kClient, 43001, kServer, 443);
  handshake(e, r);
  BOOST_TEST((e.on_packet(4ms, LinkSide::kA, r.client_rst(0)) == Disposition::kForward));
  BOOST_TEST(e.counters().flows_closed == 2u);
}

BOOST_AUTO_TEST_CASE(a_new_syn_on_the_tuple_of_an_ended_or_unseen_flow_is_tracked_afresh) {
  Engine e(test_config());
  ScriptedConversation c(kClient, 44000, kServer, 443);
  handshake(e, c);
  BOOST_TEST((e.on_packet(4ms, LinkSide::kA, c.client_rst(0)) == Disposition::kForward));
  BOOST_TEST((e.find_flow(FlowKey{kClient.value, 44000, kServer.value, 443})->phase == FlowPhase::kClosing));
  BOOST_TEST((e.on_packet(5ms, LinkSide::kA, c.syn()) == Disposition::kForward));
  BOOST_TEST((e.find_flow(FlowKey{kClient.value, 44000, kServer.value, 443})->phase == FlowPhase::kSynSeen));
  BOOST_TEST(e.counters().flows_seen == 2u);

  ScriptedConversation m(kClient, 44001, kServer, 443);
  BOOST_TEST((e.on_packet(6ms, LinkSide::kA, m.client_data(as_bytes("x"), 0)) == Disposition::kForward));
  BOOST_TEST(e.counters().passthrough(PassReason::kHandshakeNotSeen) == 1u);
  handshake(e, m);
  const Bytes hello = hello_for("x.test");
  BOOST_TEST((e.on_packet(7ms, LinkSide::kA, m.client_data(hello, 0)) == Disposition::kForward));
  BOOST_TEST((last_decision(e)->reason == PassReason::kNotTarget));
}
