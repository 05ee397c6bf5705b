// The engine hijacking flows in the ns-3 bump (client ── r1 ── r2 ══[Engine]══ r3 ── r4 ──
// server), real TLS and ns-3 TCP on both ends: the forged chain, the relay, the box's own
// ClientHello at the server, untrusted origins left alone, a client that refuses the forged
// chain, the reverse direction, a TTL-limited ClientHello, a slow origin check.
#define BOOST_TEST_MODULE engine_hijack_ns3
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "net/tcp-segment.h"
#include "tests/support/hijack-world.h"

using namespace mitmlab;

using namespace mitmlab::test::hijack;


BOOST_FIXTURE_TEST_CASE(target_is_hijacked_forged_chain_relayed_body_box_hello_at_server, SimulatorGuard) {
  auto w = make_world();
  auto client = add_client(*w, "target.test", "/bytes/150000", ns3::Seconds(1));
  run();
  const TlsClientResult& r = client->GetResult();
  BOOST_TEST(r.handshakeDone);
  BOOST_TEST(r.verifyResult == X509_V_OK);  // the client trusts the fake root
  check_forged(r.peerChain, w->tls->targetChain->leaf.get());
  BOOST_TEST(r.version == "TLSv1.2");
  BOOST_TEST(r.responseComplete);
  BOOST_TEST((r.responseBody == HttpBody(150000)));

  const EngineCounters& c = w->engine->counters();
  BOOST_TEST(c.flows_hijacked == 1u);
  BOOST_TEST(c.origin_checks == 1u);
  BOOST_TEST(c.origin_checks_trusted == 1u);
  BOOST_TEST(c.forgeries == 1u);
  BOOST_TEST(c.bytes_origin_to_client > 150000u);
  BOOST_TEST(c.bytes_client_to_origin > 0u);
  BOOST_TEST(c.flows_passthrough() == 0u);

  // The server saw only the box's hellos (check connection, then the server leg), both
  // from the client's address, the second on the client's own port.
  const auto decision = events_of(*w->engine, EventKind::kDecision);
  BOOST_TEST_REQUIRE(decision.size() == 1u);
  BOOST_TEST((decision[0]->verdict == EventVerdict::kIntercept));
  const FlowKey flow = *decision[0]->flow;
  BOOST_TEST_REQUIRE(w->hellos.size() == 2u);
  for (const auto& h : w->hellos) {
    BOOST_TEST(h.addr == w->tls->topo.ClientAddress().Get());
    BOOST_TEST(test::Ja3Of(h.record) == kKz2019Ja3);
  }
  BOOST_TEST(w->hellos[0].port != flow.client_port);
  // The check stopped at the Certificate: only the server leg completed a handshake.
  BOOST_TEST(w->tls->server->GetCounters().handshakes == 1u);
  BOOST_TEST(w->tls->server->GetCounters().resets == 1u);  // the check's RST
  BOOST_TEST(w->hellos[1].port == flow.client_port);
  const auto check = events_of(*w->engine, EventKind::kOriginCheck);
  BOOST_TEST_REQUIRE(check.size() == 1u);
  BOOST_TEST(check[0]->details.at("check_port").get<int>() == w->hellos[0].port);

  // What the relay saw is in the log.
  const auto relay = events_of(*w->engine, EventKind::kRelay);
  BOOST_TEST_REQUIRE(relay.size() == 1u);
  BOOST_TEST(relay[0]->details.value("request_line", "") == "GET /bytes/150000 HTTP/1.1");
  BOOST_TEST(relay[0]->details.value("host", "") == "target.test");
  BOOST_TEST(relay[0]->details.value("status_line", "") == "HTTP/1.1 200 OK");
  BOOST_TEST(relay[0]->details.at("server_to_client_bytes").get<std::uint64_t>() > 150000u);
  BOOST_TEST(relay[0]->sni.value_or("") == "target.test");
  BOOST_TEST(events_of(*w->engine, EventKind::kHijack).size() == 1u);
  BOOST_TEST(events_of(*w->engine, EventKind::kForge).size() == 1u);

  // Nothing of the flow crossed the bump after the decision: every client payload packet
  // was kept by the box, and all injected packets carry TTL 64.
  for (const auto& e : w->recorder->entered) {
    Result<TcpPacket> p = parse_tcp_packet(e.ipv4);
    if (p && !p->tcp.payload.empty() && p->tcp.header.source_port == flow.client_port) {
      BOOST_TEST((e.disposition == Disposition::kDrop));
    }
  }
  for (const auto& out : w->recorder->injected) BOOST_TEST(out.ipv4[8] == 64);
  // Both ends closed: the flow left the table.
  BOOST_TEST(w->engine->flow_count() == 0u);
  BOOST_TEST(c.flows_closed == 1u);
}

BOOST_FIXTURE_TEST_CASE(second_flow_uses_the_cached_verdict_and_forgery, SimulatorGuard) {
  auto w = make_world();
  auto a = add_client(*w, "target.test", "/bytes/1000", ns3::Seconds(1));
  auto b = add_client(*w, "target.test", "/bytes/2000", ns3::Seconds(5));
  run();
  BOOST_TEST(a->GetResult().responseComplete);
  BOOST_TEST(b->GetResult().responseComplete);
  BOOST_TEST((b->GetResult().responseBody == HttpBody(2000)));
  BOOST_TEST((a->GetResult().peerChain == b->GetResult().peerChain));
  const EngineCounters& c = w->engine->counters();
  BOOST_TEST(c.origin_checks == 1u);
  BOOST_TEST(c.origin_check_cache_hits == 1u);
  BOOST_TEST(c.flows_hijacked == 2u);
  BOOST_TEST(c.forgeries == 1u);
  BOOST_TEST(c.forge_cache_hits == 1u);
  BOOST_TEST(w->hellos.size() == 3u);
}

namespace {

// The origin is not trusted: the client gets the genuine handshake, the server the
// client's own hello (released byte-identical), and the log says why.
void check_untouched_untrusted(World& w, ns3::Ptr<TlsClientApp> client, const X509* genuine_leaf,
                               std::string_view reason_contains) {
  const TlsClientResult& r = client->GetResult();
  BOOST_TEST(r.handshakeDone);
  BOOST_TEST_REQUIRE(!r.peerChain.empty());
  BOOST_TEST((r.peerChain[0] == x509_to_der(genuine_leaf)));
  BOOST_TEST(r.responseComplete);
  const EngineCounters& c = w.engine->counters();
  BOOST_TEST(c.flows_hijacked == 0u);
  BOOST_TEST(c.origin_checks_untrusted == 1u);
  BOOST_TEST(c.passthrough(PassReason::kUntrustedOrigin) == 1u);
  const auto verdict = events_of(*w.engine, EventKind::kOriginVerdict);
  BOOST_TEST_REQUIRE(verdict.size() == 1u);
  BOOST_TEST(verdict[0]->details.value("status", "") == "untrusted");
  BOOST_TEST(verdict[0]->details.value("reason", "").find(reason_contains) != std::string::npos);
  // The check's hello, then the client's own: its JA3 is not the box's.
  BOOST_TEST_REQUIRE(w.hellos.size() == 2u);
  BOOST_TEST(test::Ja3Of(w.hellos[0].record) == kKz2019Ja3);
  BOOST_TEST(test::Ja3Of(w.hellos[1].record) != kKz2019Ja3);
  // The held hello went on byte-identical: the client's first payload bytes are what the
  // server traced.
  BOOST_TEST(std::equal(w.hellos[1].record.begin(), w.hellos[1].record.end(), r.sent.begin()));
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(origin_under_an_unknown_root_is_passed_untouched, SimulatorGuard) {
  auto w = make_world({}, Judge::kOtherRoot);
  auto client = add_client(*w, "target.test", "/bytes/1000", ns3::Seconds(1));
  run();
  check_untouched_untrusted(*w, client, w->tls->targetChain->leaf.get(), "local issuer");
}

BOOST_FIXTURE_TEST_CASE(expired_origin_is_passed_untouched, SimulatorGuard) {
  // Judged in 2050: the world's certificates ended in 2049.
  auto w = make_world({}, Judge::kWorldCa, std::time_t{2524608000});
  auto client = add_client(*w, "target.test", "/bytes/1000", ns3::Seconds(1));
  run();
  check_untouched_untrusted(*w, client, w->tls->targetChain->leaf.get(), "expired");
}

BOOST_FIXTURE_TEST_CASE(self_signed_origin_is_passed_untouched, SimulatorGuard) {
  EngineConfig cfg;
  cfg.ports = {443, 8443};
  auto w = make_world(cfg);
  test::ThrowawayCertSpec spec;
  spec.common_name = "target.test";
  spec.dns_names = {"target.test"};
  test::ThrowawayCert self = test::make_self_signed(spec);
  auto creds = std::make_shared<TlsCredentials>();
  creds->leaf = std::move(self.cert);
  creds->key = std::move(self.key);
  TlsServerHelper server(8443, creds);
  ns3::ApplicationContainer servers = server.Install(w->tls->topo.Node(test::ChainTopology::kServer));
  servers.Start(ns3::Seconds(0));
  test::LogClientHellos(ns3::DynamicCast<TlsServerApp>(servers.Get(0)), &w->hellos);
  TlsClientHelper helper(ns3::InetSocketAddress(w->tls->topo.ServerAddress(), 8443), "target.test",
                         w->fake_trust.get());
  helper.SetAttribute("Path", ns3::StringValue("/bytes/1000"));
  ns3::ApplicationContainer apps = helper.Install(w->tls->topo.Node(test::ChainTopology::kClient));
  apps.Start(ns3::Seconds(1));
  run();
  check_untouched_untrusted(*w, ns3::DynamicCast<TlsClientApp>(apps.Get(0)), creds->leaf.get(), "self-signed");
}

BOOST_FIXTURE_TEST_CASE(client_not_trusting_the_fake_root_fails_and_both_legs_are_reset, SimulatorGuard) {
  auto w = make_world();
  // A browser-like client trusting only the world's CA.
  test::StrictTlsClient client(w->tls->topo.Node(test::ChainTopology::kClient),
                               ns3::InetSocketAddress(w->tls->topo.ServerAddress(), 443), "target.test",
                               w->tls->trust.get(), kVerifyAt);
  client.Start(ns3::Seconds(1));
  run();
  BOOST_TEST(client.connected);
  BOOST_TEST(client.handshake_failed);
  BOOST_TEST(!client.handshake_done);
  BOOST_TEST(client.verify_result == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  BOOST_TEST(client.reset);  // the box's RST on the client leg
  const EngineCounters& c = w->engine->counters();
  BOOST_TEST(c.flows_hijacked == 1u);
  BOOST_TEST(c.client_alerts == 1u);
  const auto alert = events_of(*w->engine, EventKind::kClientAlert);
  BOOST_TEST_REQUIRE(alert.size() == 1u);
  BOOST_TEST(alert[0]->details.value("alert", "") == "unknown_ca");
  const auto closed = events_of(*w->engine, EventKind::kFlowClosed);
  BOOST_TEST_REQUIRE(closed.size() == 1u);
  BOOST_TEST(closed[0]->details.value("by", "") == "client_alert");
  // The server's connection was reset too (the server leg's RST).
  BOOST_TEST(w->tls->server->GetCounters().resets == 2u);  // the check connection and the server leg
  BOOST_TEST(w->engine->flow_count() == 0u);
}

BOOST_FIXTURE_TEST_CASE(reverse_direction_client_on_side_b_is_hijacked, SimulatorGuard) {
  EngineConfig cfg;
  cfg.injected_ttl = 50;
  auto w = make_world(cfg);
  // A server on the left-hand node and a client on the right-hand one: the SYN comes from side B.
  TlsServerHelper server(443, w->tls->targetChain);
  ns3::ApplicationContainer servers = server.Install(w->tls->topo.Node(test::ChainTopology::kClient));
  servers.Start(ns3::Seconds(0));
  std::vector<test::ServerHello> hellos;
  test::LogClientHellos(ns3::DynamicCast<TlsServerApp>(servers.Get(0)), &hellos);
  TlsClientHelper helper(ns3::InetSocketAddress(w->tls->topo.ClientAddress(), 443), "target.test",
                         w->fake_trust.get());
  helper.SetAttribute("Path", ns3::StringValue("/bytes/120000"));
  helper.SetAttribute("VerifyTime", ns3::IntegerValue(kVerifyAt));
  ns3::ApplicationContainer apps = helper.Install(w->tls->topo.Node(test::ChainTopology::kServer));
  apps.Start(ns3::Seconds(1));
  run();
  const TlsClientResult& r = ns3::DynamicCast<TlsClientApp>(apps.Get(0))->GetResult();
  BOOST_TEST(r.verifyResult == X509_V_OK);
  check_forged(r.peerChain, w->tls->targetChain->leaf.get());
  BOOST_TEST(r.responseComplete);
  BOOST_TEST((r.responseBody == HttpBody(120000)));
  BOOST_TEST(w->engine->counters().flows_hijacked == 1u);
  BOOST_TEST_REQUIRE(hellos.size() == 2u);
  for (const auto& h : hellos) {
    BOOST_TEST(h.addr == w->tls->topo.ServerAddress().Get());  // the right-hand client's address
    BOOST_TEST(test::Ja3Of(h.record) == kKz2019Ja3);
  }
  // Every packet the box sent (check connection, both legs) carries the configured TTL.
  BOOST_TEST(!w->recorder->injected.empty());
  for (const auto& out : w->recorder->injected) BOOST_TEST(out.ipv4[8] == 50);
  const auto tracked = events_of(*w->engine, EventKind::kFlowTracked);
  BOOST_TEST_REQUIRE(tracked.size() == 1u);
  BOOST_TEST(tracked[0]->details.value("client_side", "") == "b");
}

BOOST_FIXTURE_TEST_CASE(hello_reaching_the_bump_with_ttl_1_is_still_answered_by_the_box, SimulatorGuard) {
  auto w = make_world();
  // client -> r1 -> r2 -> bump: two routers decrement 3 to 1.
  auto client = add_client(*w, "target.test", "/bytes/1000", ns3::Seconds(1), 3);
  run();
  bool saw_ttl1_hello = false;
  for (const auto& e : w->recorder->entered) {
    Result<TcpPacket> p = parse_tcp_packet(e.ipv4);
    if (p && !p->tcp.payload.empty() && p->tcp.header.seq == 1 && e.from == LinkSide::kA) {
      BOOST_TEST(p->ip.header.ttl == 1);
      BOOST_TEST((e.disposition == Disposition::kDrop));  // it would have died at r3
      saw_ttl1_hello = true;
    }
  }
  BOOST_TEST(saw_ttl1_hello);
  const TlsClientResult& r = client->GetResult();
  BOOST_TEST(r.handshakeDone);
  check_forged(r.peerChain, w->tls->targetChain->leaf.get());
  BOOST_TEST(r.responseComplete);
}

BOOST_FIXTURE_TEST_CASE(slow_origin_check_absorbs_hello_retransmissions_and_sends_one_hello, SimulatorGuard) {
  // The check connection's answers (to a port of the dynamic range, from side B) reach the
  // engine 3 s late: longer than the client's 1 s RTO, so it retransmits its hello.
  auto engine_holder = std::make_shared<test::RecordingProcessor>();
  auto delaying = std::make_shared<test::DelayingProcessor>(
      engine_holder,
      [](LinkSide from, ByteView ip) {
        Result<TcpPacket> p = parse_tcp_packet(ip);
        // ns-3's ephemeral ports start at 49153; the engine's check port (seed 1) is far above.
        return from == LinkSide::kB && p && p->tcp.header.destination_port > 50000 &&
               p->tcp.header.has(tcp_flag::kSyn);
      },
      std::chrono::seconds(3));
  auto w = make_world({}, Judge::kWorldCa, std::nullopt, delaying);
  engine_holder->set_inner(w->engine);
  auto client = add_client(*w, "target.test", "/bytes/1000", ns3::Seconds(1));
  run();
  BOOST_TEST(delaying->delayed >= 1u);
  // The client sent its hello more than once; every copy was kept by the box.
  std::size_t hello_copies = 0;
  for (const auto& e : engine_holder->entered) {
    Result<TcpPacket> p = parse_tcp_packet(e.ipv4);
    if (p && e.from == LinkSide::kA && !p->tcp.payload.empty() && p->tcp.payload[0] == 0x16 &&
        p->tcp.header.seq == 1) {
      ++hello_copies;
      BOOST_TEST((e.disposition == Disposition::kDrop));
    }
  }
  BOOST_TEST(hello_copies >= 2u);
  // The server saw one hello from the check and one from the server leg, never the client's.
  BOOST_TEST_REQUIRE(w->hellos.size() == 2u);
  for (const auto& h : w->hellos) BOOST_TEST(test::Ja3Of(h.record) == kKz2019Ja3);
  BOOST_TEST(w->tls->server->GetCounters().handshakes == 1u);
  const TlsClientResult& r = client->GetResult();
  check_forged(r.peerChain, w->tls->targetChain->leaf.get());
  BOOST_TEST(r.responseComplete);
}

BOOST_FIXTURE_TEST_CASE(unreachable_origin_check_times_out_and_the_held_hello_is_released, SimulatorGuard) {
  // The check connection's SYN-ACK never reaches the engine within the 10 s origin_check.
  auto engine_holder = std::make_shared<test::RecordingProcessor>();
  auto delaying = std::make_shared<test::DelayingProcessor>(
      engine_holder,
      [](LinkSide from, ByteView ip) {
        Result<TcpPacket> p = parse_tcp_packet(ip);
        return from == LinkSide::kB && p && p->tcp.header.destination_port > 50000;
      },
      std::chrono::seconds(1000));
  auto w = make_world({}, Judge::kWorldCa, std::nullopt, delaying);
  engine_holder->set_inner(w->engine);
  auto client = add_client(*w, "target.test", "/bytes/1000", ns3::Seconds(1));
  run(ns3::Seconds(60));
  const EngineCounters& c = w->engine->counters();
  BOOST_TEST(c.origin_checks == 1u);
  BOOST_TEST(c.origin_checks_failed == 1u);
  BOOST_TEST(c.passthrough(PassReason::kOriginUnreachable) == 1u);
  BOOST_TEST(c.flows_hijacked == 0u);
  BOOST_TEST(c.packets_released >= 1u);
  const auto verdict = events_of(*w->engine, EventKind::kOriginVerdict);
  BOOST_TEST_REQUIRE(verdict.size() == 1u);
  BOOST_TEST(verdict[0]->details.value("status", "") == "unreachable");
  BOOST_TEST(verdict[0]->details.value("error", "") == "timed out");
  BOOST_TEST(verdict[0]->time >= std::chrono::seconds(11));
  const TlsClientResult& r = client->GetResult();
  BOOST_TEST(r.responseComplete);
  BOOST_TEST_REQUIRE(!r.peerChain.empty());
  BOOST_TEST((r.peerChain[0] == x509_to_der(w->tls->targetChain->leaf.get())));
  // The server got the client's own hello, never a completed box handshake.
  BOOST_TEST(w->tls->server->GetCounters().handshakes == 1u);
  BOOST_TEST(test::Ja3Of(w->hellos.back().record) != kKz2019Ja3);
}
