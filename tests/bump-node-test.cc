// The bump node in an ns-3 world: forwards unchanged, drops, injects, and stays out of
// the hop count. client ── r1 ── r2 ══[bump]══ r3 ── r4 ── server.
#define BOOST_TEST_MODULE bump_node
#include <boost/test/unit_test.hpp>

#include <deque>

#include <ns3/inet-socket-address.h>
#include <ns3/ipv4-header.h>
#include <ns3/ipv4-l3-protocol.h>
#include <ns3/net-device.h>
#include <ns3/packet.h>
#include <ns3/simulator.h>
#include <ns3/socket.h>
#include <ns3/udp-socket-factory.h>

#include "sim/passthrough-processor.h"
#include "tests/support/chain-topology.h"
#include "tests/support/tls-world.h"

using namespace mitmlab;
using test::ChainTopology;

namespace {

// Just enough IPv4 reading for the tests' processors.
struct Ipv4View {
  std::uint8_t ttl = 0;
  std::uint8_t protocol = 0;
  std::uint8_t tcpFlags = 0;
};
Ipv4View View(ByteView ip) {
  Ipv4View v;
  if (ip.size() < 20) return v;
  v.ttl = ip[8];
  v.protocol = ip[9];
  const std::size_t ihl = (ip[0] & 0x0f) * 4u;
  if (v.protocol == 6 && ip.size() >= ihl + 14) v.tcpFlags = ip[ihl + 13];
  return v;
}
constexpr std::uint8_t kSyn = 0x02, kAck = 0x10;

std::uint32_t SumWords(ByteView b, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < b.size(); i += 2) sum += std::uint32_t{b[i]} << 8 | b[i + 1];
  if (b.size() % 2) sum += std::uint32_t{b.back()} << 8;
  return sum;
}
std::uint16_t Fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}
void Put16(Bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}

// An IPv4/UDP datagram built by hand, both checksums right (ns-3 checks them).
Bytes BuildUdp(ns3::Ipv4Address src, ns3::Ipv4Address dst, std::uint16_t sport,
               std::uint16_t dport, std::string_view payload) {
  const std::size_t udpLen = 8 + payload.size();
  Bytes p(20 + udpLen, 0);
  p[0] = 0x45;
  Put16(p, 2, static_cast<std::uint16_t>(p.size()));
  p[8] = 64;
  p[9] = 17;
  src.Serialize(&p[12]);
  dst.Serialize(&p[16]);
  Put16(p, 10, Fold(SumWords(ByteView(p).first(20))));
  Put16(p, 20, sport);
  Put16(p, 22, dport);
  Put16(p, 24, static_cast<std::uint16_t>(udpLen));
  std::copy(payload.begin(), payload.end(), p.begin() + 28);
  std::uint32_t pseudo = SumWords(ByteView(p).subspan(12, 8)) + 17 + static_cast<std::uint32_t>(udpLen);
  std::uint16_t c = Fold(SumWords(ByteView(p).subspan(20), pseudo));
  Put16(p, 26, c == 0 ? 0xffff : c);
  return p;
}

void CountTrace(ns3::Ptr<ns3::NetDevice> device, const std::string& trace,
                std::shared_ptr<std::uint64_t> counter) {
  device->TraceConnectWithoutContext(
      trace, ns3::MakeCallback(+[](std::uint64_t* c, ns3::Ptr<const ns3::Packet>) { ++*c; })
                 .Bind(counter.get()));
}

// Forwards the first SYN from side A, drops everything else from side A.
class DropAfterSyn : public PassthroughProcessor {
 public:
  Disposition on_packet(Timestamp now, LinkSide from, ByteView ip) override {
    PassthroughProcessor::on_packet(now, from, ip);
    if (from == LinkSide::kB) return Disposition::kForward;
    const Ipv4View v = View(ip);
    if (!seenSyn && v.protocol == 6 && (v.tcpFlags & (kSyn | kAck)) == kSyn) {
      seenSyn = true;
      return Disposition::kForward;
    }
    ++dropped;
    return Disposition::kDrop;
  }
  bool seenSyn = false;
  std::uint64_t dropped = 0;
};

// Sends queued packets when its timer fires; records every packet it sees.
class Injector : public PassthroughProcessor {
 public:
  Disposition on_packet(Timestamp now, LinkSide from, ByteView ip) override {
    seen.push_back({from, Bytes(ip.begin(), ip.end())});
    return PassthroughProcessor::on_packet(now, from, ip);
  }
  std::optional<OutboundPacket> poll_transmit() override {
    if (ready.empty()) return std::nullopt;
    OutboundPacket out = std::move(ready.front());
    ready.pop_front();
    return out;
  }
  std::optional<Timestamp> next_timeout() const override {
    if (scheduled.empty()) return std::nullopt;
    return at;
  }
  void on_timeout(Timestamp now) override {
    ++timeoutCalls;
    if (now < at) return;  // early call: a no-op by contract
    for (auto& p : scheduled) ready.push_back(std::move(p));
    scheduled.clear();
  }
  Timestamp at{};
  std::vector<OutboundPacket> scheduled;
  std::deque<OutboundPacket> ready;
  std::vector<std::pair<LinkSide, Bytes>> seen;
  int timeoutCalls = 0;
};

}  // namespace

BOOST_AUTO_TEST_CASE(passthrough_carries_tls12_and_a_large_body_unchanged) {
  auto processor = std::make_shared<PassthroughProcessor>();
  test::TlsWorldOptions options;
  options.maxTlsVersion = 12;
  options.path = "/bytes/150000";
  auto world = test::BuildTlsWorld(processor, options);
  // Independent counts of the frames the routers put on, and took off, the bumped link.
  auto r2Sent = std::make_shared<std::uint64_t>(0), r3Got = std::make_shared<std::uint64_t>(0);
  auto r3Sent = std::make_shared<std::uint64_t>(0), r2Got = std::make_shared<std::uint64_t>(0);
  CountTrace(world->topo.bump.routerDevices.Get(0), "PhyTxEnd", r2Sent);
  CountTrace(world->topo.bump.routerDevices.Get(0), "MacRx", r2Got);
  CountTrace(world->topo.bump.routerDevices.Get(1), "PhyTxEnd", r3Sent);
  CountTrace(world->topo.bump.routerDevices.Get(1), "MacRx", r3Got);
  ns3::Simulator::Stop(ns3::Seconds(30));
  ns3::Simulator::Run();

  const TlsClientResult& r = world->client->GetResult();
  BOOST_TEST(r.handshakeDone);
  BOOST_TEST(r.version == "TLSv1.2");
  BOOST_TEST(r.verifyResult == X509_V_OK);
  BOOST_TEST_REQUIRE(!r.peerChain.empty());
  BOOST_TEST(r.peerChain[0] == x509_to_der(world->targetChain->leaf.get()));
  BOOST_TEST(r.responseComplete);
  BOOST_TEST(r.responseBody.size() == 150000u);
  BOOST_TEST((r.responseBody == HttpBody(150000)));
  BOOST_TEST(world->server->GetCounters().requests == 1u);
  // 150 kB of records do not fit TCP's 128 KiB send buffer: the rest waited for space.
  BOOST_TEST(world->server->GetCounters().sendStalls > 0u);
  BOOST_TEST(world->clientHellos.size() == 1u);

  const auto& a = processor->from(LinkSide::kA);
  const auto& b = processor->from(LinkSide::kB);
  BumpNode& bump = *world->topo.bump.bump;
  BOOST_TEST_MESSAGE("bump saw " << a.packets << " packets from A, " << b.packets << " from B ("
                                 << b.bytes << " bytes); client received " << r.received.size());
  // Every frame r2 sent reached the processor, and every one was forwarded to r3.
  BOOST_TEST(a.packets == *r2Sent);
  BOOST_TEST(b.packets == *r3Sent);
  BOOST_TEST(*r3Got == a.packets);
  BOOST_TEST(*r2Got == b.packets);
  BOOST_TEST(bump.GetForwarded(LinkSide::kA) == a.packets);
  BOOST_TEST(bump.GetForwarded(LinkSide::kB) == b.packets);
  BOOST_TEST(bump.GetDropped(LinkSide::kA) + bump.GetDropped(LinkSide::kB) == 0u);
  BOOST_TEST(bump.GetNonIpv4() == 0u);
  // 150 kB in 1448-byte segments is at least 104 data packets toward the client.
  BOOST_TEST(b.packets >= 104u);
  BOOST_TEST(b.bytes > 150000u);
  BOOST_TEST(a.packets >= 10u);  // SYN, ACKs, ClientHello, Finished, request, FIN
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(dropping_everything_after_the_syn_blocks_the_connection) {
  auto processor = std::make_shared<DropAfterSyn>();
  auto world = test::BuildTlsWorld(processor, {});
  ns3::Simulator::Stop(ns3::Seconds(30));
  ns3::Simulator::Run();

  const TlsClientResult& r = world->client->GetResult();
  BOOST_TEST_MESSAGE("dropped " << processor->dropped << " packets from A; client error: " << r.error);
  BOOST_TEST(processor->seenSyn);
  BOOST_TEST(r.connected);  // the SYN-ACK came back, so the client believes in the connection
  BOOST_TEST(!r.handshakeDone);
  BOOST_TEST(r.received.empty());
  BOOST_TEST(!r.sent.empty());  // it did send a ClientHello
  BOOST_TEST(world->server->GetCounters().accepted == 0u);  // the final ACK never arrived
  BOOST_TEST(world->clientHellos.empty());
  // The ACK, the ClientHello and its retransmissions: all dropped and counted.
  BOOST_TEST(processor->dropped >= 3u);
  BOOST_TEST(world->topo.bump.bump->GetDropped(LinkSide::kA) == processor->dropped);
  BOOST_TEST(world->topo.bump.bump->GetForwarded(LinkSide::kA) == 1u);
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(injected_datagrams_arrive_on_both_sides) {
  auto processor = std::make_shared<Injector>();
  ChainTopology topo = test::BuildChainTopology(processor);
  processor->at = Timestamp(std::chrono::milliseconds(1500));
  // Spoofed sources: the bump has no address of its own.
  processor->scheduled.push_back(
      {LinkSide::kB, BuildUdp(topo.ClientAddress(), topo.ServerAddress(), 5555, 7777, "to the server")});
  processor->scheduled.push_back(
      {LinkSide::kA, BuildUdp(topo.ServerAddress(), topo.ClientAddress(), 7777, 5555, "to the client")});

  struct Received {
    std::string payload;
    ns3::Address from;
    ns3::Time at;
  };
  std::vector<Received> atServer, atClient;
  auto listen = [](ns3::Ptr<ns3::Node> node, std::uint16_t port, std::vector<Received>& out) {
    auto s = ns3::Socket::CreateSocket(node, ns3::UdpSocketFactory::GetTypeId());
    s->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), port));
    s->SetRecvCallback(ns3::Callback<void, ns3::Ptr<ns3::Socket>>([&out](ns3::Ptr<ns3::Socket> sock) {
      ns3::Address from;
      while (ns3::Ptr<ns3::Packet> p = sock->RecvFrom(from)) {
        std::string data(p->GetSize(), '\0');
        p->CopyData(reinterpret_cast<std::uint8_t*>(data.data()), p->GetSize());
        out.push_back({data, from, ns3::Simulator::Now()});
      }
    }));
    return s;
  };
  auto serverSocket = listen(topo.Node(ChainTopology::kServer), 7777, atServer);
  auto clientSocket = listen(topo.Node(ChainTopology::kClient), 5555, atClient);
  ns3::Simulator::Stop(ns3::Seconds(5));
  ns3::Simulator::Run();

  BOOST_TEST_REQUIRE(atServer.size() == 1u);
  BOOST_TEST(atServer[0].payload == "to the server");
  BOOST_TEST(ns3::InetSocketAddress::ConvertFrom(atServer[0].from).GetIpv4() == topo.ClientAddress());
  BOOST_TEST(ns3::InetSocketAddress::ConvertFrom(atServer[0].from).GetPort() == 5555);
  BOOST_TEST(atServer[0].at > ns3::MilliSeconds(1500));  // sent when the timer fired, not before
  BOOST_TEST_REQUIRE(atClient.size() == 1u);
  BOOST_TEST(atClient[0].payload == "to the client");
  BumpNode& bump = *topo.bump.bump;
  BOOST_TEST(bump.GetInjected(LinkSide::kA) == 1u);
  BOOST_TEST(bump.GetInjected(LinkSide::kB) == 1u);
  BOOST_TEST(bump.GetTimeouts() == 1u);  // one timer event, fired once
  BOOST_TEST(processor->timeoutCalls == 1);
  BOOST_TEST(processor->seen.empty());  // its own packets never come back to it
  serverSocket->Close();
  clientSocket->Close();
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(the_bump_is_not_a_hop) {
  auto processor = std::make_shared<Injector>();  // forwards everything, records it
  ChainTopology topo = test::BuildChainTopology(processor);

  struct Icmp {
    ns3::Ipv4Address from;
    std::uint8_t type;
    ns3::Time at;
  };
  std::vector<Icmp> icmp;
  auto l3 = topo.Node(ChainTopology::kClient)->GetObject<ns3::Ipv4L3Protocol>();
  l3->TraceConnectWithoutContext(
      "LocalDeliver",
      ns3::Callback<void, const ns3::Ipv4Header&, ns3::Ptr<const ns3::Packet>, std::uint32_t>(
          [&icmp](const ns3::Ipv4Header& h, ns3::Ptr<const ns3::Packet> p, std::uint32_t) {
            if (h.GetProtocol() != 1) return;
            std::uint8_t type = 0;
            p->CopyData(&type, 1);
            icmp.push_back({h.GetSource(), type, ns3::Simulator::Now()});
          }));

  // One probe per second with TTL 1..5 toward a closed UDP port on the server.
  auto probe = ns3::Socket::CreateSocket(topo.Node(ChainTopology::kClient), ns3::UdpSocketFactory::GetTypeId());
  probe->Bind();
  probe->Connect(ns3::InetSocketAddress(topo.ServerAddress(), 33434));
  for (std::uint8_t ttl = 1; ttl <= 5; ++ttl) {
    ns3::Simulator::Schedule(ns3::Seconds(ttl), [probe, ttl] {
      probe->SetIpTtl(ttl);
      probe->Send(ns3::Create<ns3::Packet>(32));
    });
  }
  ns3::Simulator::Stop(ns3::Seconds(7));
  ns3::Simulator::Run();

  BOOST_TEST_REQUIRE(icmp.size() == 5u);
  for (std::size_t i = 0; i < icmp.size(); ++i) {
    // Each answer comes back within the second of its probe.
    BOOST_TEST(icmp[i].at > ns3::Seconds(i + 1));
    BOOST_TEST(icmp[i].at < ns3::Seconds(i + 2));
  }
  // TTL 3 expires at r3, the router just past the bump: the bump took no hop.
  BOOST_TEST(icmp[0].from == topo.address[0][1]);  // r1
  BOOST_TEST(icmp[1].from == topo.address[1][1]);  // r2
  BOOST_TEST(icmp[2].from == topo.address[2][1]);  // r3, its address on the bumped link
  BOOST_TEST(icmp[3].from == topo.address[3][1]);  // r4
  for (std::size_t i = 0; i < 4; ++i) BOOST_TEST(icmp[i].type == 11);  // Time Exceeded
  BOOST_TEST(icmp[4].from == topo.ServerAddress());
  BOOST_TEST(icmp[4].type == 3);  // Destination (port) Unreachable from the server itself

  // What the processor gets is the whole IPv4 datagram as on the wire (the device strips
  // only PPP): version/IHL first, total length = the byte count, a valid header checksum.
  BOOST_TEST_REQUIRE(!processor->seen.empty());
  for (const auto& [side, bytes] : processor->seen) {
    BOOST_TEST_REQUIRE(bytes.size() >= 20u);
    BOOST_TEST(bytes[0] == 0x45);
    BOOST_TEST((std::size_t{bytes[2]} << 8 | bytes[3]) == bytes.size());
    BOOST_TEST(Fold(SumWords(ByteView(bytes).first(20))) == 0);
  }
  // The probes the bump saw, in order: TTL 3, 4, 5 after r1 and r2 took theirs.
  std::vector<int> udpTtls;
  for (const auto& [side, bytes] : processor->seen) {
    if (side == LinkSide::kA && View(bytes).protocol == 17) udpTtls.push_back(View(bytes).ttl);
  }
  BOOST_TEST(udpTtls == (std::vector<int>{1, 2, 3}), boost::test_tools::per_element());
  probe->Close();
  ns3::Simulator::Destroy();
}

namespace {

// Wants a timeout at 5 s; the first packet moves it to 2 s; each timeout then asks
// for the next deadline in `after` until there is none.
class MovingDeadline : public PassthroughProcessor {
 public:
  Disposition on_packet(Timestamp now, LinkSide from, ByteView ip) override {
    if (!moved) {
      moved = true;
      deadline = Timestamp(std::chrono::seconds(2));
    }
    return PassthroughProcessor::on_packet(now, from, ip);
  }
  std::optional<Timestamp> next_timeout() const override { return deadline; }
  void on_timeout(Timestamp now) override {
    calls.push_back(now);
    if (!deadline || now < *deadline) return;
    deadline = std::nullopt;
    if (remaining-- > 0) deadline = now + std::chrono::seconds(1);
  }
  bool moved = false;
  int remaining = 1;
  std::optional<Timestamp> deadline = Timestamp(std::chrono::seconds(5));
  std::vector<Timestamp> calls;
};

}  // namespace

BOOST_AUTO_TEST_CASE(the_timer_follows_the_processor_deadline) {
  auto processor = std::make_shared<MovingDeadline>();
  ChainTopology topo = test::BuildChainTopology(processor);
  auto udp = ns3::Socket::CreateSocket(topo.Node(ChainTopology::kClient), ns3::UdpSocketFactory::GetTypeId());
  udp->Bind();
  udp->Connect(ns3::InetSocketAddress(topo.ServerAddress(), 9));
  ns3::Simulator::Schedule(ns3::Seconds(1), [udp] { udp->Send(ns3::Create<ns3::Packet>(10)); });
  ns3::Simulator::Stop(ns3::Seconds(10));
  ns3::Simulator::Run();

  // Exactly at 2 s (moved earlier) and 3 s (asked for next); the 5 s event was cancelled.
  const std::vector<Timestamp> expected = {Timestamp(std::chrono::seconds(2)),
                                           Timestamp(std::chrono::seconds(3))};
  BOOST_TEST(processor->moved);
  BOOST_TEST((processor->calls == expected));
  BOOST_TEST(topo.bump.bump->GetTimeouts() == 2u);
  udp->Close();
  ns3::Simulator::Destroy();
}
