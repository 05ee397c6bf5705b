// The scanner's Scan core run unchanged inside ns-3 by sim/sim-scan-driver.h, on the chain
// world (client ── r1 ── r2 ══[bump]══ r3 ── r4 ── server): ok verdicts through a
// passthrough bump, injection for the target SNI (only) through the hijacking engine, a
// port with no listener, and a few hundred probes at a concurrency limit with every
// connection released at the end.
#define BOOST_TEST_MODULE sim_scan_driver
#include <boost/test/unit_test.hpp>

#include <map>

#include <ns3/object-vector.h>
#include <ns3/tcp-l4-protocol.h>

#include "sim/passthrough-processor.h"
#include "sim/sim-scan-driver.h"
#include "sim/tls-app-helpers.h"
#include "tests/support/hijack-world.h"

using namespace mitmlab;
using namespace mitmlab::test::hijack;

namespace {

std::string address_of(ns3::Ipv4Address a) { return mitmlab::Ipv4Address(a.Get()).to_string(); }

ScanConfig scan_config(const test::TlsWorld& world, std::vector<ScanHost> hosts, std::vector<std::string> snis) {
  ScanConfig c;
  c.hosts = std::move(hosts);
  c.test_snis = std::move(snis);
  c.timeout = std::chrono::seconds(5);
  c.retries = 1;
  Result<std::shared_ptr<const TrustStore>> trust = TrustStore::from_roots({world.ca.cert.get()});
  BOOST_TEST_REQUIRE(trust.ok());
  c.trust = *trust;
  c.at = kVerifyAt;
  return c;
}

// Runs the scan from the client node until it is done (or a generous cap).
std::unique_ptr<SimScanDriver> run_scan(const test::TlsWorld& world, ScanConfig config) {
  Result<std::unique_ptr<Scan>> scan = Scan::create(std::move(config));
  BOOST_TEST_REQUIRE(scan.ok());
  bool done = false;
  auto driver = std::make_unique<SimScanDriver>(world.topo.Node(test::ChainTopology::kClient), std::move(*scan),
                                                SimScanOptions{.on_record = {}, .on_done = [&done] {
                                                  done = true;
                                                  ns3::Simulator::Stop();
                                                }});
  driver->Start(ns3::Seconds(1));
  run(ns3::Seconds(600));
  BOOST_TEST(done);
  BOOST_TEST(driver->done());
  return driver;
}

using Key = std::pair<std::string, std::uint16_t>;
std::map<std::pair<Key, std::string>, const ScanRecord*> by_key(const SimScanDriver& d) {
  std::map<std::pair<Key, std::string>, const ScanRecord*> m;
  for (const ScanRecord& r : d.records()) m[{{r.address, r.port}, r.sni}] = &r;
  return m;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(passthrough_bump_gives_ok_and_a_closed_port_fails, SimulatorGuard) {
  auto passthrough = std::make_shared<PassthroughProcessor>();
  test::TlsWorldOptions o;
  o.clientStart = ns3::Seconds(1000);  // the world's own client stays out
  auto world = test::BuildTlsWorld(passthrough, o);
  // A second server on the same node, another port.
  TlsServerHelper second(8443, world->targetChain);
  second.Install(world->topo.Node(test::ChainTopology::kServer)).Start(ns3::Seconds(0));
  const std::string server = address_of(world->topo.ServerAddress());

  std::vector<std::string> records_seen;
  Result<std::unique_ptr<Scan>> scan = Scan::create(
      scan_config(*world, {{server, 443}, {server, 8443}, {server, 444}}, {"target.test", "default.test"}));
  BOOST_TEST_REQUIRE(scan.ok());
  SimScanDriver driver(world->topo.Node(test::ChainTopology::kClient), std::move(*scan),
                       SimScanOptions{.on_record = [&](const ScanRecord& r) { records_seen.push_back(r.sni); },
                                      .on_done = [] { ns3::Simulator::Stop(); }});
  driver.Start(ns3::Seconds(1));
  run(ns3::Seconds(600));
  BOOST_TEST_REQUIRE(driver.done());

  auto r = by_key(driver);
  BOOST_TEST_REQUIRE(driver.records().size() == 6u);
  BOOST_TEST(records_seen.size() == 6u);
  for (std::uint16_t port : {443, 8443}) {
    for (const char* sni : {"target.test", "default.test"}) {
      const ScanRecord& rec = *r.at({{server, port}, sni});
      BOOST_TEST(rec.verdict == Verdict::ok, port << " " << sni << ": " << rec.reason);
      BOOST_TEST(rec.test_outcome == ProbeOutcome::ok);
      BOOST_TEST(!rec.untrusted);
      BOOST_TEST(rec.retries == 0u);
      BOOST_TEST(rec.connect_ms.has_value());
    }
  }
  // The real server's chains: the control (no SNI) gets the default chain.
  BOOST_TEST(r.at({{server, 443}, "default.test"})->leaf_sha256 ==
             r.at({{server, 443}, "default.test"})->control_leaf_sha256);
  BOOST_TEST(r.at({{server, 443}, "target.test"})->leaf_sha256 !=
             r.at({{server, 443}, "target.test"})->control_leaf_sha256);
  // Nobody listens on 444: ns-3 answers the SYN with a RST, every attempt.
  for (const char* sni : {"target.test", "default.test"}) {
    const ScanRecord& rec = *r.at({{server, 444}, sni});
    BOOST_TEST(rec.verdict == Verdict::control_failed);
    BOOST_TEST(rec.control_outcome == ProbeOutcome::connect_failed);
    BOOST_TEST(rec.test_outcome == ProbeOutcome::connect_failed);
  }
  BOOST_TEST(driver.stats().connect_failures >= 3u);  // the control and two tests, retried
  BOOST_TEST(driver.stats().open == 0u);
  BOOST_TEST(driver.scan().counters().active == 0u);
  BOOST_TEST(passthrough->from(LinkSide::kA).packets > 0u);
}

BOOST_FIXTURE_TEST_CASE(hijacking_engine_injects_the_target_sni_only, SimulatorGuard) {
  auto w = make_world();
  const std::string server = address_of(w->tls->topo.ServerAddress());
  auto driver = run_scan(*w->tls, scan_config(*w->tls, {{server, 443}}, {"target.test", "benign.test"}));

  auto r = by_key(*driver);
  BOOST_TEST_REQUIRE(driver->records().size() == 2u);
  const ScanRecord& target = *r.at({{server, 443}, "target.test"});
  BOOST_TEST(target.verdict == Verdict::injected, target.reason);
  BOOST_TEST(target.row == 1);  // the chain names a known interception authority
  BOOST_TEST(target.attribution.has_value());
  BOOST_TEST(target.leaf_issuer == "C = KZ, CN = Security Certificate");
  const ScanRecord& benign = *r.at({{server, 443}, "benign.test"});
  BOOST_TEST(benign.verdict == Verdict::ok, benign.reason);
  BOOST_TEST(benign.leaf_sha256 == benign.control_leaf_sha256);
  // The engine forged for the target probe, and let the control and benign probes pass.
  BOOST_TEST(w->engine->counters().flows_hijacked >= 1u);
  BOOST_TEST(w->engine->counters().forgeries >= 1u);
  BOOST_TEST(driver->stats().open == 0u);
}

BOOST_FIXTURE_TEST_CASE(hundreds_of_probes_at_the_concurrency_limit_release_every_socket, SimulatorGuard) {
  auto passthrough = std::make_shared<PassthroughProcessor>();
  test::TlsWorldOptions o;
  o.clientStart = ns3::Seconds(1000);
  auto world = test::BuildTlsWorld(passthrough, o);
  const std::string server = address_of(world->topo.ServerAddress());
  ScanConfig config = scan_config(*world, std::vector<ScanHost>(150, ScanHost{server, 443}), {"target.test"});
  config.concurrency = 40;
  auto driver = run_scan(*world, std::move(config));
  BOOST_TEST_REQUIRE(driver->records().size() == 150u);
  for (const ScanRecord& rec : driver->records()) BOOST_TEST(rec.verdict == Verdict::ok);
  BOOST_TEST(driver->scan().counters().max_active == 40u);
  BOOST_TEST(driver->stats().max_open == 40u);
  BOOST_TEST(driver->stats().connects == 300u);
  BOOST_TEST(driver->stats().open == 0u);
  // Only the 150 tests complete a handshake: the controls stop at the server's certificate.
  BOOST_TEST(world->server->GetCounters().handshakes == 150u);
  // Once TCP has finished with them (FIN exchange, TIME_WAIT), ns-3 holds none of the sockets.
  run(ns3::Seconds(30));
  ns3::ObjectVectorValue sockets;
  world->topo.Node(test::ChainTopology::kClient)->GetObject<ns3::TcpL4Protocol>()->GetAttribute("SocketList", sockets);
  BOOST_TEST(sockets.GetN() == 0u);
}
