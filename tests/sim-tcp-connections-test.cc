// SimTcpConnections (sim/sim-tcp-connections.h), the ns-3 socket table under the scan and
// socket-trace drivers, on the chain world: SendAction.ttl reaches the data segments and
// their retransmissions (not the SYN), each one's time-exceeded comes back as an ICMP event
// from the router that dropped it, a refused connect is reported once and stops the SYNs,
// and closing forgets the connection.
#define BOOST_TEST_MODULE sim_tcp_connections
#include <boost/test/unit_test.hpp>

#include <ns3/point-to-point-net-device.h>

#include "net/tcp-segment.h"
#include "sim/passthrough-processor.h"
#include "sim/sim-tcp-connections.h"
#include "tests/support/hijack-world.h"

using namespace mitmlab;
using namespace mitmlab::test::hijack;
using test::ChainTopology;

namespace {

struct Recorder {
  std::vector<ConnId> connected;
  std::vector<std::pair<ConnId, std::string>> failed;
  std::vector<std::pair<ConnId, IcmpReport>> icmp;
  std::size_t bytes = 0, closed = 0, resets = 0;
  SimTcpEvents events() {
    return {.connected = [this](ConnId c) { connected.push_back(c); },
            .connect_failed = [this](ConnId c, std::string_view why) { failed.emplace_back(c, std::string(why)); },
            .bytes = [this](ConnId, ByteView b) { bytes += b.size(); },
            .closed = [this](ConnId) { ++closed; },
            .reset = [this](ConnId) { ++resets; },
            .icmp = [this](ConnId c, const IcmpReport& r) { icmp.emplace_back(c, r); }};
  }
};

// TCP segments the client's device put on the wire.
struct ClientWire {
  std::vector<std::pair<std::uint8_t, TcpHeader>> segments;  // (TTL, header)
  std::vector<std::size_t> payload;
  explicit ClientWire(const ChainTopology& topo) {
    ns3::Ptr<ns3::Node> client = topo.Node(ChainTopology::kClient);
    for (std::uint32_t i = 0; i < client->GetNDevices(); ++i)
      if (auto dev = ns3::DynamicCast<ns3::PointToPointNetDevice>(client->GetDevice(i)))
        dev->TraceConnectWithoutContext("PhyTxBegin", ns3::MakeCallback(&ClientWire::OnWire, this));
  }
  void OnWire(ns3::Ptr<const ns3::Packet> p) {
    Bytes b(p->GetSize());
    p->CopyData(b.data(), p->GetSize());
    if (b.size() < 2) return;
    Result<TcpPacket> tcp = parse_tcp_packet(ByteView(b.data() + 2, b.size() - 2));
    if (!tcp) return;
    segments.emplace_back(tcp->ip.header.ttl, tcp->tcp.header);
    payload.push_back(tcp->tcp.payload.size());
  }
};

struct PassthroughWorld {
  std::shared_ptr<PassthroughProcessor> passthrough = std::make_shared<PassthroughProcessor>();
  std::unique_ptr<test::TlsWorld> tls;
  PassthroughWorld() {
    test::TlsWorldOptions o;
    o.clientStart = ns3::Seconds(1000);
    tls = test::BuildTlsWorld(passthrough, o);
  }
  std::string server() const { return Ipv4Address(tls->topo.ServerAddress().Get()).to_string(); }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(send_ttl_marks_data_and_retransmissions_and_icmp_names_the_router, SimulatorGuard) {
  PassthroughWorld w;
  const ChainTopology& topo = w.tls->topo;
  ClientWire wire(topo);
  Recorder rec;
  SimTcpEvents events = rec.events();
  SimTcpConnections* self = nullptr;
  events.connected = [&](ConnId c) {
    rec.connected.push_back(c);
    self->Send(SendAction{c, Bytes(300, 0x16), 2});  // dies at r2, every time
  };
  SimTcpConnections conns(topo.Node(ChainTopology::kClient), events);
  self = &conns;
  ns3::Simulator::Schedule(ns3::Seconds(1), [&] { conns.Connect(ConnectAction{7, w.server(), 443}); });
  ns3::Simulator::Schedule(ns3::Seconds(5), [&] { conns.Close(7); });
  run(ns3::Seconds(6));

  BOOST_TEST_REQUIRE(rec.connected.size() == 1u);
  std::size_t data = 0;
  for (std::size_t i = 0; i < wire.segments.size(); ++i) {
    const auto& [ttl, h] = wire.segments[i];
    if (h.has(tcp_flag::kSyn)) BOOST_TEST(ttl == 64);  // the handshake left before the SendAction
    if (wire.payload[i] > 0) {
      ++data;
      BOOST_TEST(ttl == 2);
    }
  }
  BOOST_TEST(data >= 3u);  // the first send and retransmissions at 1 s and 2 s more (RTO backoff)
  BOOST_TEST(rec.icmp.size() == data);  // one time-exceeded per copy
  for (const auto& [conn, r] : rec.icmp) {
    BOOST_TEST(conn == 7u);
    BOOST_TEST(r.from == Ipv4Address(topo.address[1][1].Get()));  // r2, on the link it received on
    BOOST_TEST(r.type == 11);
  }
  BOOST_TEST(conns.stats().icmp_errors == rec.icmp.size());
  BOOST_TEST(conns.stats().open == 0u);
  BOOST_TEST(rec.resets == 0u);
}

BOOST_FIXTURE_TEST_CASE(refused_connect_is_reported_once_and_stops_the_syns, SimulatorGuard) {
  PassthroughWorld w;
  ClientWire wire(w.tls->topo);
  Recorder rec;
  SimTcpConnections conns(w.tls->topo.Node(ChainTopology::kClient), rec.events());
  ns3::Simulator::Schedule(ns3::Seconds(1), [&] { conns.Connect(ConnectAction{3, w.server(), 444}); });
  ns3::Simulator::Schedule(ns3::Seconds(2), [&] { conns.Connect(ConnectAction{4, "not-an-address", 443}); });
  run(ns3::Seconds(30));
  BOOST_TEST_REQUIRE(rec.failed.size() == 2u);
  BOOST_TEST(rec.failed[0].first == 3u);
  BOOST_TEST(rec.failed[0].second == "connection refused");
  BOOST_TEST(rec.failed[1].first == 4u);
  BOOST_TEST(rec.connected.empty());
  std::size_t syns = 0;
  for (const auto& [ttl, h] : wire.segments) syns += h.has(tcp_flag::kSyn) ? 1 : 0;
  BOOST_TEST(syns == 1u);  // without the driver's help ns-3.37 would resend it for minutes
  BOOST_TEST(conns.stats().open == 0u);
  BOOST_TEST(conns.stats().connect_failures == 2u);
}

BOOST_FIXTURE_TEST_CASE(bytes_then_the_peers_close_then_ours, SimulatorGuard) {
  PassthroughWorld w;
  Recorder rec;
  SimTcpConnections conns(w.tls->topo.Node(ChainTopology::kClient), rec.events());
  ns3::Simulator::Schedule(ns3::Seconds(1), [&] { conns.Connect(ConnectAction{1, w.server(), 443}); });
  // Not TLS: the server's OpenSSL answers with an alert and closes.
  ns3::Simulator::Schedule(ns3::Seconds(2), [&] { conns.Send(SendAction{1, Bytes(64, 0x47)}); });
  run(ns3::Seconds(4));
  BOOST_TEST(rec.connected.size() == 1u);
  BOOST_TEST(rec.closed + rec.resets == 1u);
  BOOST_TEST(conns.stats().open == 1u);  // until the core closes it
  conns.Close(1);
  BOOST_TEST(conns.stats().open == 0u);
  BOOST_TEST(conns.stats().bytes_sent == 64u);
}
