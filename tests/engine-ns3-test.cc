// The engine in the bump of the ns-3 chain (client ── r1 ── r2 ══[Engine]══ r3 ── r4 ──
// server) with real TLS over ns-3 TCP. Flows the box must not touch leave it byte-identical
// and the event log says why; sampling picks a stable share of target flows.
#define BOOST_TEST_MODULE engine_ns3
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>

#include <ns3/inet-socket-address.h>
#include <ns3/simulator.h>
#include <ns3/string.h>
#include <ns3/uinteger.h>

#include "interceptor/engine.h"
#include "sim/tls-app-helpers.h"
#include "tests/support/recording-processor.h"
#include "tests/support/tls-world.h"

using namespace mitmlab;

namespace {

EngineConfig target_config() {
  EngineConfig c;
  c.targets = {"target.test"};
  return c;
}

struct Run {
  std::shared_ptr<Engine> engine;
  std::shared_ptr<test::RecordingProcessor> recorder;
  std::unique_ptr<test::TlsWorld> world;
};

Run run_world(EngineConfig config, const test::TlsWorldOptions& options, ns3::Time stop = ns3::Seconds(20)) {
  Run r;
  r.engine = std::make_shared<Engine>(std::move(config));
  r.recorder = std::make_shared<test::RecordingProcessor>(r.engine);
  r.world = test::BuildTlsWorld(r.recorder, options);
  ns3::Simulator::Stop(stop);
  ns3::Simulator::Run();
  return r;
}

std::vector<const EngineEvent*> decisions(const Engine& e) {
  std::vector<const EngineEvent*> out;
  for (const EngineEvent& ev : e.events().events())
    if (ev.kind == EventKind::kDecision) out.push_back(&ev);
  return out;
}

// Every packet that entered was forwarded as it was, and the box sent nothing of its own:
// what left each side is exactly what entered the other.
void check_untouched(const Run& r) {
  BOOST_TEST(!r.recorder->entered.empty());
  std::size_t tcp = 0;
  for (const auto& e : r.recorder->entered) {
    BOOST_TEST((e.disposition == Disposition::kForward));
    tcp += e.ipv4.size() > 9 && e.ipv4[9] == 6;
  }
  BOOST_TEST(tcp > 10u);
  BOOST_TEST(r.recorder->injected.empty());
  for (LinkSide side : {LinkSide::kA, LinkSide::kB}) {
    std::vector<Bytes> in;
    for (const auto& e : r.recorder->entered)
      if (e.from == other_side(side)) in.push_back(e.ipv4);
    BOOST_TEST((r.recorder->left_by(side) == in));
  }
  BOOST_TEST(r.engine->counters().packets_dropped == 0u);
  BOOST_TEST(r.engine->counters().packets_injected == 0u);
  BOOST_TEST(r.engine->counters().malformed_packets == 0u);
}

// One passthrough decision for the world's one flow, with `reason`.
void check_one_passthrough(const Run& r, PassReason reason, std::optional<std::string> sni) {
  const auto d = decisions(*r.engine);
  BOOST_TEST_REQUIRE(d.size() == 1u);
  BOOST_TEST((d[0]->verdict == EventVerdict::kPassthrough));
  BOOST_TEST(reason_name(d[0]->reason.value_or(PassReason::kTableFull)) == reason_name(reason));
  BOOST_TEST((d[0]->sni == sni));
  BOOST_TEST_REQUIRE(d[0]->flow.has_value());
  BOOST_TEST(d[0]->flow->client_addr == r.world->topo.ClientAddress().Get());
  BOOST_TEST(d[0]->flow->server_addr == r.world->topo.ServerAddress().Get());
  BOOST_TEST(d[0]->flow->server_port == 443);
  BOOST_TEST(r.engine->counters().passthrough(reason) == 1u);
  BOOST_TEST(r.engine->counters().flows_seen == 1u);
}

void check_client_done(const Run& r) {
  const TlsClientResult& c = r.world->client->GetResult();
  BOOST_TEST(c.handshakeDone);
  BOOST_TEST(c.responseComplete);
  BOOST_TEST((c.responseBody == HttpBody(1000)));
}

}  // namespace

BOOST_AUTO_TEST_CASE(other_sni_passes_byte_identical_with_reason_not_target) {
  test::TlsWorldOptions o;
  o.serverName = "default.test";
  Run r = run_world(target_config(), o);
  check_untouched(r);
  check_one_passthrough(r, PassReason::kNotTarget, "default.test");
  check_client_done(r);
  BOOST_TEST(r.world->client->GetResult().verifyResult == X509_V_OK);
  // The connection closed with FINs both ways; the flow left the table.
  BOOST_TEST(r.engine->counters().flows_closed == 1u);
  BOOST_TEST(r.engine->flow_count() == 0u);
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(no_sni_passes_byte_identical_with_reason_no_sni) {
  test::TlsWorldOptions o;
  o.serverName = "";
  Run r = run_world(target_config(), o);
  check_untouched(r);
  check_one_passthrough(r, PassReason::kNoSni, std::nullopt);
  check_client_done(r);
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(flow_on_a_port_not_configured_passes_with_reason_port) {
  EngineConfig cfg = target_config();
  cfg.ports = {8443};  // the world's server listens on 443: "another port"
  Run r = run_world(cfg, {});
  check_untouched(r);
  const auto d = decisions(*r.engine);
  BOOST_TEST_REQUIRE(d.size() == 1u);
  BOOST_TEST((d[0]->reason == PassReason::kPort));
  BOOST_TEST(r.engine->counters().passthrough(PassReason::kPort) == 1u);
  BOOST_TEST(r.engine->flow_count() == 0u);  // never tracked
  check_client_done(r);
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(paused_schedule_passes_target_with_reason_schedule_off) {
  EngineConfig cfg = target_config();
  // On for the first half second and again from 60 s; the client starts at 1 s.
  cfg.schedule.active = std::vector<ScheduleInterval>{{std::chrono::seconds(0), std::chrono::milliseconds(500)},
                                                      {std::chrono::seconds(60), std::chrono::seconds(120)}};
  Run r = run_world(cfg, {});
  check_untouched(r);
  check_one_passthrough(r, PassReason::kScheduleOff, "target.test");
  check_client_done(r);
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(target_in_decide_only_mode_is_decided_intercept_and_untouched) {
  Run r = run_world(target_config(), {});
  check_untouched(r);
  const auto d = decisions(*r.engine);
  BOOST_TEST_REQUIRE(d.size() == 1u);
  BOOST_TEST((d[0]->verdict == EventVerdict::kIntercept));
  BOOST_TEST(d[0]->sni.value_or("") == "target.test");
  check_client_done(r);
  ns3::Simulator::Destroy();
}

namespace {

// 200 target flows from one client, staggered; returns (flow, intercepted) per decision.
std::map<std::uint16_t, bool> sampled_run(const EngineConfig& cfg, std::size_t& complete) {
  auto engine = std::make_shared<Engine>(cfg);
  test::TlsWorldOptions o;
  o.clientStart = ns3::Seconds(100);  // the world's own client stays out of it
  auto world = test::BuildTlsWorld(engine, o);
  std::vector<ns3::Ptr<TlsClientApp>> clients;
  for (int i = 0; i < 200; ++i) {
    TlsClientHelper helper(ns3::InetSocketAddress(world->topo.ServerAddress(), 443), "target.test",
                           world->trust.get());
    helper.SetAttribute("Path", ns3::StringValue("/bytes/100"));
    ns3::ApplicationContainer apps = helper.Install(world->topo.Node(test::ChainTopology::kClient));
    apps.Start(ns3::MilliSeconds(1000 + 10 * i));
    clients.push_back(ns3::DynamicCast<TlsClientApp>(apps.Get(0)));
  }
  ns3::Simulator::Stop(ns3::Seconds(20));
  ns3::Simulator::Run();
  complete = 0;
  for (const auto& c : clients) complete += c->GetResult().responseComplete;
  std::map<std::uint16_t, bool> out;
  const TargetPolicy policy(cfg);
  for (const EngineEvent* d : decisions(*engine)) {
    BOOST_TEST_REQUIRE(d->flow.has_value());
    const bool intercepted = d->verdict == EventVerdict::kIntercept;
    // The same key gives the same answer as the policy alone.
    BOOST_TEST(intercepted == policy.sampled(*d->flow));
    if (!intercepted) BOOST_TEST((d->reason == PassReason::kNotSampled));
    BOOST_TEST(out.emplace(d->flow->client_port, intercepted).second);  // one decision per flow
  }
  ns3::Simulator::Destroy();
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(sampling_half_of_200_flows_is_near_half_and_stable) {
  EngineConfig cfg = target_config();
  cfg.sample_fraction = 0.5;
  std::size_t complete = 0;
  const auto first = sampled_run(cfg, complete);
  BOOST_TEST(first.size() == 200u);
  BOOST_TEST(complete == 200u);
  const auto share = std::count_if(first.begin(), first.end(), [](const auto& kv) { return kv.second; });
  // Binomial(200, 0.5): sd ~7; [70, 130] is over four sd either way.
  BOOST_TEST(share >= 70);
  BOOST_TEST(share <= 130);
  BOOST_TEST_MESSAGE("intercepted " << share << " of 200");
  // The same run again decides every flow the same way.
  const auto second = sampled_run(cfg, complete);
  BOOST_TEST((second == first));
  // Another key picks another sample.
  cfg.sample_key = "another-key";
  const auto third = sampled_run(cfg, complete);
  BOOST_TEST(third.size() == 200u);
  BOOST_TEST((third != first));
}
