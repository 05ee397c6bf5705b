// The TTL localizer run unchanged inside ns-3 by its two drivers (sim/sim-socket-trace-driver.h,
// sim/sim-raw-trace-driver.h) on the chain world client ── r1 ── r2 ══[bump]══ r3 ── r4 ──
// server. Through the hijacking engine the test SNI is answered at TTL 3 (the bump sits
// between r2 and r3) and the server at TTL 5, so the injection is located between r2 and r3,
// two hops before the server; through a passthrough bump both answer at TTL 5: no injection.
// In raw mode no RST from the vantage's own TCP leaves its device.
#define BOOST_TEST_MODULE sim_trace_driver
#include <boost/test/unit_test.hpp>

#include <ns3/ipv4-l3-protocol.h>
#include <ns3/ipv4.h>
#include <ns3/point-to-point-net-device.h>

#include "net/tcp-segment.h"
#include "sim/passthrough-processor.h"
#include "sim/sim-raw-trace-driver.h"
#include "sim/sim-socket-trace-driver.h"
#include "tests/support/hijack-world.h"

using namespace mitmlab;
using namespace mitmlab::test::hijack;
using test::ChainTopology;

namespace {

Ipv4Address address_of(ns3::Ipv4Address a) { return Ipv4Address(a.Get()); }

LocalizerConfig config(const ChainTopology& topo, TraceMode mode, std::string test_sni = "target.test") {
  LocalizerConfig c;
  c.hosts = {{address_of(topo.ServerAddress()).to_string(), 443}};
  c.test_sni = std::move(test_sni);
  c.mode = mode;
  c.max_ttl = 8;
  c.local_address = address_of(topo.ClientAddress());
  return c;
}

// What the vantage's device put on the wire, and what its own TCP stack sent.
struct VantageWire {
  std::uint64_t tcp = 0, rsts = 0, stack_tcp = 0;
  explicit VantageWire(const ChainTopology& topo) {
    ns3::Ptr<ns3::Node> client = topo.Node(ChainTopology::kClient);
    for (std::uint32_t i = 0; i < client->GetNDevices(); ++i) {
      if (auto dev = ns3::DynamicCast<ns3::PointToPointNetDevice>(client->GetDevice(i)))
        dev->TraceConnectWithoutContext("PhyTxBegin", ns3::MakeCallback(&VantageWire::OnWire, this));
    }
    // Locally generated L4 packets (the stack's TCP); raw-socket packets do not pass here.
    client->GetObject<ns3::Ipv4L3Protocol>()->TraceConnectWithoutContext(
        "SendOutgoing", ns3::MakeCallback(&VantageWire::OnStack, this));
  }
  void OnWire(ns3::Ptr<const ns3::Packet> p) {
    Bytes b(p->GetSize());
    p->CopyData(b.data(), p->GetSize());
    if (b.size() < 2) return;  // the point-to-point header first
    Result<TcpPacket> tcp = parse_tcp_packet(ByteView(b.data() + 2, b.size() - 2));
    if (!tcp) return;
    ++this->tcp;
    if (tcp->tcp.header.has(tcp_flag::kRst)) ++rsts;
  }
  void OnStack(const ns3::Ipv4Header& h, ns3::Ptr<const ns3::Packet>, std::uint32_t) {
    if (h.GetProtocol() == ip_protocol::kTcp) ++stack_tcp;
  }
};

template <class Driver>
TraceResult run_trace(Driver& driver) {
  driver.Start(ns3::Seconds(1));
  run(ns3::Seconds(120));
  BOOST_TEST_REQUIRE(driver.done());
  BOOST_TEST_REQUIRE(driver.results().size() == 1u);
  BOOST_TEST(driver.ignored_actions() == 0u);
  return driver.results().front();
}

std::unique_ptr<Localizer> localizer(LocalizerConfig c) {
  Result<std::unique_ptr<Localizer>> l = Localizer::create(std::move(c));
  BOOST_TEST_REQUIRE(l.ok());
  return std::move(*l);
}

SimTraceOptions stop_when_done() { return {.on_result = {}, .on_done = [] { ns3::Simulator::Stop(); }}; }

void check_injection_at_the_bump(const TraceResult& r, const ChainTopology& topo) {
  BOOST_TEST(r.verdict == "injected-before-server");
  BOOST_TEST(r.injection_ttl.value_or(0) == 3u);
  BOOST_TEST(r.server_ttl.value_or(0) == 5u);
  BOOST_TEST(r.hops_before_server.value_or(0) == 2u);
  // r2 answers for the link it received on (10.0.1.2), r3 for the bump's link (10.0.2.2).
  BOOST_TEST(r.hop_before.value_or(Ipv4Address()) == address_of(topo.address[1][1]));
  BOOST_TEST(r.hop_after.value_or(Ipv4Address()) == address_of(topo.address[2][1]));
  // The control sweep saw every router of the chain.
  BOOST_TEST_REQUIRE(r.control.hops.size() >= 5u);
  for (std::size_t i = 0; i < 4; ++i)
    BOOST_TEST(r.control.hops[i].address.value_or(Ipv4Address()) == address_of(topo.address[i][1]));
  BOOST_TEST(r.control.hops[4].answered);
  BOOST_TEST(!r.test.leaf_sha256.empty());
  BOOST_TEST(r.test.leaf_sha256 != r.control.leaf_sha256);
  BOOST_TEST(r.test.issuer == "C = KZ, CN = Security Certificate");
}

void check_no_injection(const TraceResult& r) {
  BOOST_TEST(r.verdict == "no-injection");
  BOOST_TEST(r.test.leaf_sha256 == r.control.leaf_sha256);
  BOOST_TEST(r.injection_ttl.value_or(0) == 5u);
  BOOST_TEST(r.server_ttl.value_or(0) == 5u);
  BOOST_TEST(!r.hop_before.has_value());
  BOOST_TEST(!r.test.leaf_sha256.empty());
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(socket_mode_locates_the_hijacking_bump_between_r2_and_r3, SimulatorGuard) {
  auto w = make_world();
  const ChainTopology& topo = w->tls->topo;
  auto driver = SimSocketTraceDriver::Create(topo.Node(ChainTopology::kClient),
                                             localizer(config(topo, TraceMode::socket)), stop_when_done());
  BOOST_TEST_REQUIRE(driver.ok());
  const TraceResult r = run_trace(**driver);
  check_injection_at_the_bump(r, topo);
  BOOST_TEST((*driver)->stats().icmp_errors >= 6u);  // r1, r2 for the test; r1..r4 for the control
  BOOST_TEST((*driver)->stats().open == 0u);
  BOOST_TEST(w->engine->counters().flows_hijacked >= 1u);
}

BOOST_FIXTURE_TEST_CASE(raw_mode_locates_the_hijacking_bump_and_no_stack_rst_leaves, SimulatorGuard) {
  auto w = make_world();
  const ChainTopology& topo = w->tls->topo;
  VantageWire wire(topo);
  auto driver = SimRawTraceDriver::Create(topo.Node(ChainTopology::kClient), localizer(config(topo, TraceMode::raw)),
                                          stop_when_done());
  BOOST_TEST_REQUIRE(driver.ok());
  const TraceResult r = run_trace(**driver);
  const RawPacketEndpointStats& s = (*driver)->stats();
  BOOST_TEST(s.claims == 2u);  // one connection per sweep
  BOOST_TEST(s.swallowed > 0u);  // the SYN-ACKs the stack would have answered with a RST
  BOOST_TEST(wire.tcp == s.sent);  // every TCP packet on the wire is the probe's
  BOOST_TEST(wire.rsts == s.sent_rsts);
  BOOST_TEST(wire.stack_tcp == 0u);
  check_injection_at_the_bump(r, topo);
  // The claims outlive the sweep by kRawClaimIdleSeconds, then leave the node's TCP (whose
  // demultiplexer walks every endpoint for every segment).
  BOOST_TEST(s.expired == 0u);
  const ns3::Time until = ns3::Simulator::Now() + ns3::Seconds(kRawClaimIdleSeconds * 2 + 1);
  while (ns3::Simulator::Now() < until) run(until - ns3::Simulator::Now());  // past run_trace's stop
  BOOST_TEST(s.expired == 2u);
  BOOST_TEST(wire.stack_tcp == 0u);
}

BOOST_FIXTURE_TEST_CASE(both_modes_through_a_passthrough_bump_find_no_injection, SimulatorGuard) {
  auto passthrough = std::make_shared<PassthroughProcessor>();
  test::TlsWorldOptions o;
  o.clientStart = ns3::Seconds(1000);
  auto world = test::BuildTlsWorld(passthrough, o);
  const ChainTopology& topo = world->topo;
  VantageWire wire(topo);
  // A name the server has no certificate of its own for: it answers with the same default
  // chain as to the control (its per-name "target.test" chain would read as "at-server").
  {
    auto raw = SimRawTraceDriver::Create(topo.Node(ChainTopology::kClient),
                                         localizer(config(topo, TraceMode::raw, "other.test")), stop_when_done());
    BOOST_TEST_REQUIRE(raw.ok());
    check_no_injection(run_trace(**raw));
    BOOST_TEST(wire.tcp == (*raw)->stats().sent);
    BOOST_TEST(wire.rsts == (*raw)->stats().sent_rsts);
    BOOST_TEST(wire.stack_tcp == 0u);
  }
  auto sock = SimSocketTraceDriver::Create(topo.Node(ChainTopology::kClient),
                                           localizer(config(topo, TraceMode::socket, "other.test")),
                                           stop_when_done());
  BOOST_TEST_REQUIRE(sock.ok());
  check_no_injection(run_trace(**sock));
}

BOOST_AUTO_TEST_CASE(drivers_refuse_the_other_mode_and_a_foreign_address) {
  auto passthrough = std::make_shared<PassthroughProcessor>();
  ChainTopology topo = BuildChainTopology(passthrough);
  ns3::Ptr<ns3::Node> client = topo.Node(ChainTopology::kClient);
  BOOST_TEST(!SimSocketTraceDriver::Create(client, localizer(config(topo, TraceMode::raw))).ok());
  BOOST_TEST(!SimRawTraceDriver::Create(client, localizer(config(topo, TraceMode::socket))).ok());
  LocalizerConfig c = config(topo, TraceMode::raw);
  c.local_address = Ipv4Address(192, 0, 2, 1);
  BOOST_TEST(!SimRawTraceDriver::Create(client, localizer(c)).ok());
  ns3::Simulator::Destroy();
}
