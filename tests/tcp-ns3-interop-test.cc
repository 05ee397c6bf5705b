// Our TcpEndpoint against ns-3's own TCP (TcpSocketBase with its defaults: ISN 0, timestamps,
// window scaling, SACK, no MSS option, 1 s minimum RTO), checksums enforced. A node with no IP
// stack carries the endpoint: raw IPv4 in and out of its point-to-point device, as the bump
// node will. The other node runs an ns-3 TCP server that sends and receives.
#define BOOST_TEST_MODULE tcp_ns3_interop
#include <ns3/boolean.h>
#include <ns3/config.h>
#include <ns3/global-value.h>
#include <ns3/inet-socket-address.h>
#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/net-device.h>
#include <ns3/node-container.h>
#include <ns3/node.h>
#include <ns3/packet.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/simulator.h>
#include <ns3/socket.h>
#include <ns3/string.h>
#include <ns3/tcp-socket-factory.h>
#include <ns3/uinteger.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <optional>
#include <random>

#include "interceptor/tcp/tcp-endpoint.h"
#include "net/tcp-segment.h"
#include "tests/support/tcp-pair.h"

using namespace mitmlab;
using mitmlab::testing::pattern_bytes;

namespace {

Timestamp sim_now() { return Timestamp(ns3::Simulator::Now().GetNanoSeconds()); }

// The endpoint on a node without an IP stack, driven by ns-3 events; it loses a share of
// datagrams each way from a seeded generator.
class RawHost {
 public:
  RawHost(ns3::Ptr<ns3::NetDevice> device, TcpEndpoint endpoint, double loss, std::uint64_t seed)
      : endpoint(std::move(endpoint)), device_(device), loss_(loss), rng_(seed) {
    device->GetNode()->RegisterProtocolHandler(
        ns3::Node::ProtocolHandler([this](ns3::Ptr<ns3::NetDevice>, ns3::Ptr<const ns3::Packet> p,
                                          std::uint16_t, const ns3::Address&, const ns3::Address&,
                                          ns3::NetDevice::PacketType) { receive(p); }),
        0x0800, device, false);
  }

  // Runs the application, sends what the endpoint has, and re-arms its timer.
  void service() {
    if (app) app();
    while (auto d = endpoint.poll_transmit(sim_now())) {
      if (lose()) {
        ++dropped;
        continue;
      }
      last_sent = *d;
      send_raw(*d);
    }
    timer_.Cancel();
    if (auto t = endpoint.next_timeout()) {
      Timestamp delay = std::max(Timestamp{}, *t - sim_now());
      timer_ = ns3::Simulator::Schedule(ns3::NanoSeconds(delay.count()), [this] {
        endpoint.on_timeout(sim_now());
        service();
      });
    }
  }

  void send_raw(const Bytes& d) {
    device_->Send(ns3::Create<ns3::Packet>(d.data(), static_cast<std::uint32_t>(d.size())),
                  device_->GetBroadcast(), 0x0800);
  }

  TcpEndpoint endpoint;
  std::function<void()> app;
  // Sees each arriving datagram first; true means it was handled (the scripted handshake).
  std::function<bool(const Bytes&)> intercept;
  Bytes last_sent;
  std::uint64_t dropped = 0;
  std::uint64_t received = 0;
  std::uint64_t received_without_timestamps = 0;

 private:
  void receive(ns3::Ptr<const ns3::Packet> packet) {
    Bytes bytes(packet->GetSize());
    packet->CopyData(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
    if (lose()) {
      ++dropped;
      return;
    }
    ++received;
    if (intercept && intercept(bytes)) return;
    if (auto p = parse_tcp_packet(bytes);
        p.ok() && !find_tcp_option<TcpTimestamps>(p->tcp.header.options))
      ++received_without_timestamps;
    endpoint.on_datagram(sim_now(), bytes);
    service();
  }
  bool lose() { return loss_ > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < loss_; }

  ns3::Ptr<ns3::NetDevice> device_;
  double loss_;
  std::mt19937_64 rng_;
  ns3::EventId timer_;
};

// An ns-3 TCP server on port 443: sends `data`, collects what it receives, and closes once it
// has sent everything and received `expect` bytes.
struct Ns3Server {
  Bytes data;
  std::size_t expect = 0;
  std::size_t offset = 0;
  Bytes got{};
  ns3::Ptr<ns3::Socket> socket{};
  bool closed = false;

  void write_more() {
    while (offset < data.size() && socket->GetTxAvailable() > 0) {
      std::uint32_t n = std::min<std::uint32_t>(socket->GetTxAvailable(),
                                                static_cast<std::uint32_t>(data.size() - offset));
      int sent = socket->Send(data.data() + offset, n, 0);
      if (sent <= 0) break;
      offset += static_cast<std::size_t>(sent);
    }
    maybe_close();
  }
  void read_all() {
    while (ns3::Ptr<ns3::Packet> p = socket->Recv()) {
      if (p->GetSize() == 0) break;
      std::size_t at = got.size();
      got.resize(at + p->GetSize());
      p->CopyData(got.data() + at, p->GetSize());
    }
    maybe_close();
  }
  void maybe_close() {
    if (!closed && offset == data.size() && got.size() == expect) {
      closed = true;
      socket->Close();
    }
  }
};

struct Outcome {
  Bytes client_got, server_got;
  Bytes client_data, server_data;
  TcpState state;
  TcpCloseReason reason;
  TcpCounters counters;
  std::uint64_t dropped, received, without_timestamps;
  std::size_t segment_payload;
  bool server_reset = false;  // ns-3's error-close callback ran
  Bytes last_rst;             // what kAbortTwice sent twice
};

// kAbort: our endpoint aborts (RST) once it has received `abort_after` bytes, as the box ends
// a check connection once it has the certificate. kAbortTwice: the RST arrives again a second
// later, when only ns-3's listening socket is left to take it (a late duplicate, or the box
// resetting a leg the server has already forgotten).
enum class Ending { kClose, kAbort, kAbortTwice };

Outcome run(double loss, std::size_t size, Ending ending = Ending::kClose,
            std::size_t abort_after = 0) {
  using namespace ns3;
  GlobalValue::Bind("ChecksumEnabled", BooleanValue(true));
  Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(1448));
  NodeContainer nodes;
  nodes.Create(2);
  PointToPointHelper link;
  link.SetDeviceAttribute("DataRate", StringValue("100Mbps"));
  link.SetChannelAttribute("Delay", StringValue("5ms"));
  NetDeviceContainer devices = link.Install(nodes);
  InternetStackHelper stack;
  stack.Install(nodes.Get(0));  // node 1 has no IP stack: our endpoint speaks for it
  Ipv4AddressHelper addresses("10.0.0.0", "255.255.255.0", "0.0.0.2");
  addresses.Assign(NetDeviceContainer(devices.Get(0)));  // 10.0.0.2

  Ns3Server server{.data = pattern_bytes(size, 41), .expect = size};
  bool reset = false;
  Ptr<Socket> listener = Socket::CreateSocket(nodes.Get(0), TcpSocketFactory::GetTypeId());
  listener->Bind(InetSocketAddress(ns3::Ipv4Address::GetAny(), 443));
  listener->Listen();
  listener->SetAcceptCallback(
      MakeNullCallback<bool, Ptr<Socket>, const Address&>(),
      Callback<void, Ptr<Socket>, const Address&>([&](Ptr<Socket> s, const Address&) {
        server.socket = s;
        s->SetCloseCallbacks(MakeNullCallback<void, Ptr<Socket>>(),
                             Callback<void, Ptr<Socket>>([&](Ptr<Socket>) { reset = true; }));
        s->SetRecvCallback(Callback<void, Ptr<Socket>>([&](Ptr<Socket>) { server.read_all(); }));
        s->SetSendCallback(Callback<void, Ptr<Socket>, std::uint32_t>(
            [&](Ptr<Socket>, std::uint32_t) { server.write_more(); }));
        server.write_more();
      }));

  TcpAddressPair us{mitmlab::Ipv4Address(10, 0, 0, 1), 40001, mitmlab::Ipv4Address(10, 0, 0, 2),
                    443};
  RawHost host(devices.Get(1), TcpEndpoint(us), loss, 99);
  Outcome out;
  out.client_data = pattern_bytes(size, 42);
  out.server_data = server.data;
  std::size_t offset = 0;
  host.app = [&] {
    TcpEndpoint& e = host.endpoint;
    if (offset < out.client_data.size())
      offset += e.send(ByteView(out.client_data).subspan(offset));
    Bytes chunk = e.read(e.readable());
    out.client_got.insert(out.client_got.end(), chunk.begin(), chunk.end());
    if (ending != Ending::kClose && out.client_got.size() >= abort_after && !e.is_closed()) {
      e.abort();
      if (ending == Ending::kAbortTwice)
        Simulator::Schedule(Seconds(1), [&] { host.send_raw(host.last_sent); });
      return;
    }
    if (offset == out.client_data.size() && out.client_got.size() == size &&
        (e.state() == TcpState::kEstablished || e.state() == TcpState::kCloseWait))
      e.close();
  };
  Simulator::Schedule(MilliSeconds(100), [&] {
    host.endpoint.connect(sim_now(), {.isn = 0x7FFFFFF0u, .clock = {5, Timestamp{}}});
    host.service();
  });
  Simulator::Stop(Seconds(900));
  Simulator::Run();
  out.server_got = server.got;
  out.state = host.endpoint.state();
  out.reason = host.endpoint.close_reason();
  out.counters = host.endpoint.counters();
  out.dropped = host.dropped;
  out.received = host.received;
  out.without_timestamps = host.received_without_timestamps;
  out.segment_payload = host.endpoint.segment_payload();
  out.server_reset = reset;
  if (ending == Ending::kAbortTwice) out.last_rst = host.last_sent;
  BOOST_TEST_MESSAGE("loss " << loss << ": received " << out.received << ", dropped " << out.dropped
                             << ", sent " << out.counters.segments_sent << ", retransmitted "
                             << out.counters.retransmissions << ", state " << out.state << " ("
                             << out.reason << ")");
  Simulator::Destroy();
  return out;
}

}  // namespace

// The interceptor's situation: an ns-3 client connects, the raw host answers the handshake by
// hand as a server would (ISN 0, its own TSval clock), and then a TcpEndpoint adopts that
// server side from the three packets and serves an echo. ns-3 must accept the continuation.
BOOST_AUTO_TEST_CASE(an_adopted_server_side_serves_an_ns3_client) {
  using namespace ns3;
  GlobalValue::Bind("ChecksumEnabled", BooleanValue(true));
  Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(1448));
  NodeContainer nodes;
  nodes.Create(2);
  PointToPointHelper link;
  link.SetDeviceAttribute("DataRate", StringValue("100Mbps"));
  link.SetChannelAttribute("Delay", StringValue("5ms"));
  NetDeviceContainer devices = link.Install(nodes);
  InternetStackHelper stack;
  stack.Install(nodes.Get(0));
  Ipv4AddressHelper addresses("10.0.0.0", "255.255.255.0", "0.0.0.2");
  addresses.Assign(NetDeviceContainer(devices.Get(0)));

  TcpAddressPair server_side{mitmlab::Ipv4Address(10, 0, 0, 1), 443,
                             mitmlab::Ipv4Address(10, 0, 0, 2), 0};
  RawHost host(devices.Get(1), TcpEndpoint(server_side), 0.0, 1);
  const std::uint32_t kServerIsn = 0;
  const TcpTimestampClock server_clock{1000, Timestamp{}};  // the server's TSval: 1000 + ms
  std::optional<TcpPacket> syn;
  Bytes syn_bytes;
  std::uint32_t syn_ack_tsval = 0;
  Timestamp syn_ack_at{};
  bool adopted = false;
  std::uint32_t first_data_seq = 0, first_data_tsval = 0;
  Timestamp first_data_at{};
  host.intercept = [&](const Bytes& d) {
    auto p = parse_tcp_packet(d);
    BOOST_TEST_REQUIRE(p.ok());
    const TcpHeader& h = p->tcp.header;
    if (!adopted && h.has(tcp_flag::kSyn)) {
      syn_bytes = d;
      syn = *parse_tcp_packet(syn_bytes);
      TcpOptionSummary o = summarize_tcp_options(h.options);
      BOOST_TEST(h.seq == 0u);         // ns-3's ISN
      BOOST_TEST(!o.mss.has_value());  // and no MSS option
      BOOST_TEST_REQUIRE(o.timestamps.has_value());
      syn_ack_at = sim_now();
      syn_ack_tsval = server_clock.at(syn_ack_at);
      host.send_raw(build_tcp_packet(
          {.source = server_side.local,
           .source_port = 443,
           .destination = server_side.remote,
           .destination_port = h.source_port,
           .seq = kServerIsn,
           .ack = h.seq + 1,
           .flags = tcp_flag::kSyn | tcp_flag::kAck,
           .window = 65535,
           .options = {TcpSackPermitted{}, TcpTimestamps{syn_ack_tsval, o.timestamps->value},
                       TcpNop{}, TcpWindowScale{2}}}));
      return true;
    }
    if (!adopted && syn && h.has(tcp_flag::kAck) && h.ack == kServerIsn + 1) {
      TcpOptionSummary c = summarize_tcp_options(syn->tcp.header.options);
      TcpOptionSummary a = summarize_tcp_options(h.options);
      TcpEndpoint e(TcpAddressPair{server_side.local, 443, server_side.remote, h.source_port});
      BOOST_TEST_REQUIRE(
          e.adopt(sim_now(), {.snd_nxt = kServerIsn + 1,
                              .snd_una = kServerIsn + 1,
                              .rcv_nxt = h.seq,
                              .peer_window = std::size_t{h.window} << *c.window_scale,
                              .peer_window_shift = *c.window_scale,
                              .our_window_shift = 2,
                              .peer_mss = c.mss,
                              .sack_permitted = c.sack_permitted,
                              .timestamps = true,
                              .clock = {syn_ack_tsval, syn_ack_at},
                              .ts_recent = a.timestamps->value}));
      host.endpoint = std::move(e);
      adopted = true;
      if (p->tcp.payload.empty()) return true;  // else the endpoint takes the data
    }
    return false;
  };
  // Echo, and close once the client has closed.
  Bytes echoed;
  host.app = [&] {
    TcpEndpoint& e = host.endpoint;
    Bytes chunk = e.read(std::min(e.readable(), e.send_capacity()));
    if (!chunk.empty()) {
      if (first_data_seq == 0 && first_data_at == Timestamp{}) {
        first_data_at = sim_now();
        first_data_seq = e.snd_nxt();
        first_data_tsval = e.tsval(sim_now());
      }
      e.send(chunk);
      echoed.insert(echoed.end(), chunk.begin(), chunk.end());
    }
    if (e.peer_finished() && e.readable() == 0 && e.state() == TcpState::kCloseWait) e.close();
  };

  Bytes request = pattern_bytes(200'000, 43), reply;
  std::size_t offset = 0;
  Ptr<Socket> client = Socket::CreateSocket(nodes.Get(0), TcpSocketFactory::GetTypeId());
  auto write_more = [&] {
    while (offset < request.size() && client->GetTxAvailable() > 0) {
      std::uint32_t n = std::min<std::uint32_t>(
          client->GetTxAvailable(), static_cast<std::uint32_t>(request.size() - offset));
      int sent = client->Send(request.data() + offset, n, 0);
      if (sent <= 0) break;
      offset += static_cast<std::size_t>(sent);
    }
  };
  client->SetConnectCallback(Callback<void, Ptr<Socket>>([&](Ptr<Socket>) { write_more(); }),
                             MakeNullCallback<void, Ptr<Socket>>());
  client->SetSendCallback(Callback<void, Ptr<Socket>, std::uint32_t>(
      [&](Ptr<Socket>, std::uint32_t) { write_more(); }));
  client->SetRecvCallback(Callback<void, Ptr<Socket>>([&](Ptr<Socket> s) {
    while (Ptr<Packet> p = s->Recv()) {
      if (p->GetSize() == 0) break;
      std::size_t at = reply.size();
      reply.resize(at + p->GetSize());
      p->CopyData(reply.data() + at, p->GetSize());
    }
    if (reply.size() == request.size()) s->Close();
  }));
  Simulator::Schedule(MilliSeconds(50), [&] {
    client->Bind();
    client->Connect(InetSocketAddress(ns3::Ipv4Address("10.0.0.1"), 443));
  });
  Simulator::Stop(Seconds(600));
  Simulator::Run();
  TcpState state = host.endpoint.state();
  TcpCloseReason reason = host.endpoint.close_reason();
  TcpCounters counters = host.endpoint.counters();
  Simulator::Destroy();

  BOOST_TEST(adopted);
  BOOST_TEST(reply.size() == request.size());
  BOOST_TEST((reply == request));
  BOOST_TEST((echoed == request));
  // The adopted side continued the server's spaces: seq from ISN + 1, TSval on its clock.
  BOOST_TEST(first_data_seq == kServerIsn + 1);
  // Continued from the SYN-ACK's observation, so at most 1 ms behind the server's own clock
  // (the sub-millisecond phase is lost), never ahead.
  BOOST_TEST(first_data_tsval <= server_clock.at(first_data_at));
  BOOST_TEST(first_data_tsval + 1 >= server_clock.at(first_data_at));
  BOOST_TEST(first_data_tsval > 1000u + 50u);
  BOOST_TEST(counters.retransmissions == 0u);
  BOOST_TEST(state == TcpState::kClosed);
  BOOST_TEST(reason == TcpCloseReason::kNormal);
}

BOOST_AUTO_TEST_CASE(exchanges_half_a_megabyte_each_way_with_ns3_tcp) {
  Outcome o = run(0.0, 500'000);
  BOOST_TEST(o.client_got.size() == o.server_data.size());
  BOOST_TEST((o.client_got == o.server_data));
  BOOST_TEST((o.server_got == o.client_data));
  BOOST_TEST(o.segment_payload == 1448u);  // ns-3 sends no MSS option
  BOOST_TEST(o.received > 300u);
  BOOST_TEST(o.without_timestamps == 0u);
  BOOST_TEST(o.counters.retransmissions == 0u);
  BOOST_TEST(o.counters.malformed == 0u);
  BOOST_TEST(o.state == TcpState::kClosed);
  BOOST_TEST(o.reason == TcpCloseReason::kNormal);
  BOOST_TEST(!o.server_reset);
}

BOOST_AUTO_TEST_CASE(recovers_from_loss_both_ways_with_ns3_tcp) {
  Outcome o = run(0.03, 300'000);
  BOOST_TEST(o.dropped > 0u);
  BOOST_TEST((o.client_got == o.server_data));
  BOOST_TEST((o.server_got == o.client_data));
  BOOST_TEST(o.counters.retransmissions > 0u);
  BOOST_TEST(o.counters.out_of_order_buffered > 0u);  // ns-3's segments after a lost one
  BOOST_TEST(o.counters.malformed == 0u);
  BOOST_TEST(o.state == TcpState::kClosed);
}

BOOST_AUTO_TEST_CASE(ns3_accepts_our_rst_ending_a_check_connection) {
  Outcome o = run(0.0, 200'000, Ending::kAbort, 20'000);
  BOOST_TEST(o.client_got.size() >= 20'000u);
  BOOST_TEST(o.client_got.size() < o.server_data.size());
  BOOST_TEST((Bytes(o.server_data.begin(), o.server_data.begin() + 20'000) ==
              Bytes(o.client_got.begin(), o.client_got.begin() + 20'000)));
  BOOST_TEST(o.state == TcpState::kClosed);
  BOOST_TEST(o.reason == TcpCloseReason::kAborted);
  BOOST_TEST(o.server_reset);  // ns-3 took the RST and reported the error close
}

// ns-3.37 copies the window of any ACK-bearing segment into a listening socket, and a zero
// window there arms a persist timer that dereferences an empty send buffer (SIGSEGV in
// TcpSocketBase::PersistTimeout, seen at scale in kz-2019-07-21). Our RSTs therefore carry
// our receive window rather than Linux's 0; the simulation must outlive the persist timeout.
BOOST_AUTO_TEST_CASE(a_late_rst_reaching_the_listener_does_not_break_ns3) {
  Outcome o = run(0.0, 200'000, Ending::kAbortTwice, 20'000);
  BOOST_TEST(o.reason == TcpCloseReason::kAborted);
  BOOST_TEST(o.server_reset);
  auto rst = parse_tcp_packet(o.last_rst);
  BOOST_TEST_REQUIRE(rst.ok());
  BOOST_TEST((rst->tcp.header.flags & tcp_flag::kRst) != 0);
  BOOST_TEST(rst->tcp.header.window > 0u);
}
