// Real OpenSSL TLS over ns-3 TCP through the bump: SNI-chosen chains, verification
// results, the ClientHello trace, per-packet TTL on the ClientHello, resets, and
// byte-identical runs with seeded randomness.
#define BOOST_TEST_MODULE tls_over_ns3
#include <boost/test/unit_test.hpp>

#include <deque>

#include <ns3/inet-socket-address.h>
#include <ns3/integer.h>
#include <ns3/simulator.h>
#include <ns3/string.h>
#include <ns3/tcp-socket-factory.h>

#include "net/seeded-random.h"
#include "sim/passthrough-processor.h"
#include "sim/tls-app-helpers.h"
#include "tests/support/tls-world.h"

using namespace mitmlab;

namespace {

std::unique_ptr<test::TlsWorld> RunWorld(std::shared_ptr<PacketProcessor> processor,
                                         const test::TlsWorldOptions& options,
                                         ns3::Time stop = ns3::Seconds(20)) {
  auto world = test::BuildTlsWorld(std::move(processor), options);
  ns3::Simulator::Stop(stop);
  ns3::Simulator::Run();
  return world;
}

bool Contains(const Bytes& haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

void Put16(Bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
std::uint16_t Checksum(ByteView b, std::uint32_t sum) {
  for (std::size_t i = 0; i + 1 < b.size(); i += 2) sum += std::uint32_t{b[i]} << 8 | b[i + 1];
  if (b.size() % 2) sum += std::uint32_t{b.back()} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// A real segment turned into a RST|ACK: same addresses, ports, sequence numbers and
// options (ns-3 drops segments without the timestamp option once it is negotiated),
// payload cut off, both checksums redone.
Bytes ToReset(ByteView segment) {
  const std::size_t ihl = (segment[0] & 0x0f) * 4u;
  const std::size_t thl = (segment[ihl + 12] >> 4) * 4u;
  Bytes p(segment.begin(), segment.begin() + static_cast<std::ptrdiff_t>(ihl + thl));
  Put16(p, 2, static_cast<std::uint16_t>(p.size()));
  Put16(p, 10, 0);
  Put16(p, 10, Checksum(ByteView(p).first(ihl), 0));
  p[ihl + 13] = 0x14;  // RST|ACK
  Put16(p, ihl + 16, 0);
  std::uint32_t pseudo = 6 + static_cast<std::uint32_t>(thl);
  for (std::size_t i = 12; i < 20; i += 2) pseudo += std::uint32_t{p[i]} << 8 | p[i + 1];
  Put16(p, ihl + 16, Checksum(ByteView(p).subspan(ihl), pseudo));
  return p;
}

// Lets `limit` packets come from the server's side, then cuts the flow: drops everything
// and resets both ends.
class CutAfter : public PacketProcessor {
 public:
  explicit CutAfter(std::uint64_t limit) : limit_(limit) {}
  Disposition on_packet(Timestamp, LinkSide from, ByteView ip) override {
    if (cut) return Disposition::kDrop;
    if (ip.size() < 40 || ip[9] != 6) return Disposition::kForward;
    if (from == LinkSide::kA) {
      lastFromA.assign(ip.begin(), ip.end());
      return Disposition::kForward;
    }
    if (++fromB <= limit_) return Disposition::kForward;
    cut = true;
    out.push_back({LinkSide::kA, ToReset(ip)});
    if (!lastFromA.empty()) out.push_back({LinkSide::kB, ToReset(lastFromA)});
    return Disposition::kDrop;
  }
  std::optional<OutboundPacket> poll_transmit() override {
    if (out.empty()) return std::nullopt;
    OutboundPacket p = std::move(out.front());
    out.pop_front();
    return p;
  }
  std::optional<Timestamp> next_timeout() const override { return std::nullopt; }
  void on_timeout(Timestamp) override {}

  bool cut = false;
  std::uint64_t fromB = 0;
  Bytes lastFromA;
  std::deque<OutboundPacket> out;

 private:
  std::uint64_t limit_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(sni_picks_the_chain_and_the_client_verifies_it) {
  auto world = RunWorld(std::make_shared<PassthroughProcessor>(), {});
  const TlsClientResult& r = world->client->GetResult();
  BOOST_TEST(r.handshakeDone);
  BOOST_TEST(r.version == "TLSv1.3");
  BOOST_TEST(r.verifyResult == X509_V_OK);
  BOOST_TEST_REQUIRE(r.peerChain.size() == 1u);
  BOOST_TEST(r.peerChain[0] == x509_to_der(world->targetChain->leaf.get()));
  BOOST_TEST(r.responseComplete);
  BOOST_TEST(r.responseHead.find("HTTP/1.1 200 OK\r\n") == 0u);
  BOOST_TEST(r.responseHead.find("Connection: close\r\n") != std::string::npos);
  BOOST_TEST((r.responseBody == HttpBody(1000)));
  BOOST_TEST(!r.reset);
  BOOST_TEST(world->server->GetCounters().handshakes == 1u);
  BOOST_TEST(world->server->GetCounters().resets == 0u);
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(keep_alive_serves_several_requests_on_one_connection) {
  test::TlsWorldOptions options;
  options.requests = 3;
  options.path = "/bytes/5000";
  auto world = RunWorld(std::make_shared<PassthroughProcessor>(), options);
  const TlsClientResult& r = world->client->GetResult();
  BOOST_TEST(r.responses == 3u);
  BOOST_TEST(r.responseComplete);
  BOOST_TEST((r.responseBody == HttpBody(5000)));
  BOOST_TEST(r.responseHead.find("Connection: close\r\n") != std::string::npos);  // the last one
  BOOST_TEST(world->server->GetCounters().accepted == 1u);
  BOOST_TEST(world->server->GetCounters().requests == 3u);
  BOOST_TEST(world->server->GetCounters().handshakes == 1u);
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(a_server_capped_at_tls12_negotiates_tls12) {
  test::TlsWorldOptions options;
  options.serverMaxTlsVersion = 12;
  auto world = RunWorld(std::make_shared<PassthroughProcessor>(), options);
  const TlsClientResult& r = world->client->GetResult();
  BOOST_TEST(r.handshakeDone);
  BOOST_TEST(r.version == "TLSv1.2");
  BOOST_TEST(r.responseComplete);
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(verify_time_judges_validity_at_a_chosen_moment) {
  // The test chain is valid 2019-01-01 .. 2049-01-01; 2010-01-01 is before it.
  auto world = test::BuildTlsWorld(std::make_shared<PassthroughProcessor>(), {});
  world->client->SetAttribute("VerifyTime", ns3::IntegerValue(1262304000));
  ns3::Simulator::Stop(ns3::Seconds(20));
  ns3::Simulator::Run();
  BOOST_TEST(world->client->GetResult().handshakeDone);
  BOOST_TEST(world->client->GetResult().verifyResult == X509_V_ERR_CERT_NOT_YET_VALID);
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(many_overlapping_clients_are_served_independently) {
  auto processor = std::make_shared<PassthroughProcessor>();
  auto world = test::BuildTlsWorld(processor, {});
  std::vector<ns3::Ptr<TlsClientApp>> clients;
  for (int i = 0; i < 12; ++i) {
    // Alternate names: each session must pick its own chain while others are mid-handshake.
    TlsClientHelper helper(ns3::InetSocketAddress(world->topo.ServerAddress(), 443),
                           i % 2 == 0 ? "target.test" : "default.test", world->trust.get());
    helper.SetAttribute("Path", ns3::StringValue("/bytes/" + std::to_string(20000 + 1000 * i)));
    ns3::ApplicationContainer apps = helper.Install(world->topo.Node(test::ChainTopology::kClient));
    apps.Start(ns3::MilliSeconds(1000 + 3 * i));  // overlapping handshakes and transfers
    clients.push_back(ns3::DynamicCast<TlsClientApp>(apps.Get(0)));
  }
  ns3::Simulator::Stop(ns3::Seconds(30));
  ns3::Simulator::Run();
  const Bytes targetLeaf = x509_to_der(world->targetChain->leaf.get());
  const Bytes defaultLeaf = x509_to_der(world->defaultChain->leaf.get());
  for (std::size_t i = 0; i < clients.size(); ++i) {
    const TlsClientResult& r = clients[i]->GetResult();
    BOOST_TEST(r.verifyResult == X509_V_OK);
    BOOST_TEST_REQUIRE(!r.peerChain.empty());
    BOOST_TEST((r.peerChain[0] == (i % 2 == 0 ? targetLeaf : defaultLeaf)));
    BOOST_TEST(r.responseComplete);
    BOOST_TEST((r.responseBody == HttpBody(20000 + 1000 * i)));
  }
  BOOST_TEST(world->client->GetResult().responseComplete);  // the world's own client too
  BOOST_TEST(world->server->GetCounters().accepted == 13u);
  BOOST_TEST(world->server->GetCounters().handshakes == 13u);
  BOOST_TEST(world->server->GetCounters().requests == 13u);
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(unknown_sni_gets_the_default_chain_and_a_name_mismatch) {
  test::TlsWorldOptions options;
  options.serverName = "elsewhere.test";
  auto world = RunWorld(std::make_shared<PassthroughProcessor>(), options);
  const TlsClientResult& r = world->client->GetResult();
  BOOST_TEST(r.handshakeDone);  // verification failures are recorded, not fatal
  BOOST_TEST(r.verifyResult == X509_V_ERR_HOSTNAME_MISMATCH);
  BOOST_TEST_REQUIRE(!r.peerChain.empty());
  BOOST_TEST(r.peerChain[0] == x509_to_der(world->defaultChain->leaf.get()));
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(the_server_traces_the_raw_client_hello) {
  auto world = RunWorld(std::make_shared<PassthroughProcessor>(), {});
  const TlsClientResult& r = world->client->GetResult();
  BOOST_TEST_REQUIRE(world->clientHellos.size() == 1u);
  const Bytes& hello = world->clientHellos[0];
  BOOST_TEST_REQUIRE(hello.size() > 5u);
  BOOST_TEST(hello[0] == 0x16);  // handshake record
  BOOST_TEST(hello[5] == 0x01);  // ClientHello
  BOOST_TEST(hello.size() == 5u + (std::size_t{hello[3]} << 8 | hello[4]));
  BOOST_TEST(Contains(hello, "target.test"));
  // Exactly the first bytes the client put on the wire.
  BOOST_TEST_REQUIRE(r.sent.size() >= hello.size());
  BOOST_TEST((Bytes(r.sent.begin(), r.sent.begin() + static_cast<std::ptrdiff_t>(hello.size())) == hello));
  ns3::Simulator::Destroy();
}

namespace {

// A real ClientHello from OpenSSL, re-cut into two TLS records.
Bytes TwoRecordClientHello() {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  SslPtr ssl(SSL_new(ctx.get()));
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), in, out);
  SSL_set_tlsext_host_name(ssl.get(), "target.test");
  SSL_set_connect_state(ssl.get());
  SSL_do_handshake(ssl.get());
  Bytes record(BIO_ctrl_pending(out));
  BIO_read(out, record.data(), static_cast<int>(record.size()));
  const Bytes message(record.begin() + 5, record.end());
  const std::size_t cut = 50;  // inside the extensions
  Bytes two;
  for (auto [from, to] : {std::pair<std::size_t, std::size_t>{0, cut}, {cut, message.size()}}) {
    const std::size_t n = to - from;
    two.insert(two.end(), {0x16, 0x03, 0x01, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
    two.insert(two.end(), message.begin() + static_cast<std::ptrdiff_t>(from), message.begin() + static_cast<std::ptrdiff_t>(to));
  }
  return two;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_client_hello_in_two_records_and_small_segments_is_traced_whole) {
  test::TlsWorldOptions options;
  options.clientStart = ns3::Seconds(100);  // the app client stays out of the way
  auto world = test::BuildTlsWorld(std::make_shared<PassthroughProcessor>(), options);
  const Bytes hello = TwoRecordClientHello();
  Bytes received;
  auto socket = ns3::Socket::CreateSocket(world->topo.Node(test::ChainTopology::kClient),
                                          ns3::TcpSocketFactory::GetTypeId());
  socket->Bind();
  socket->SetRecvCallback(ns3::Callback<void, ns3::Ptr<ns3::Socket>>([&received](ns3::Ptr<ns3::Socket> s) {
    while (ns3::Ptr<ns3::Packet> p = s->Recv()) {
      Bytes b(p->GetSize());
      p->CopyData(b.data(), p->GetSize());
      received.insert(received.end(), b.begin(), b.end());
    }
  }));
  // 7-byte pieces 5 ms apart: record headers and the handshake header straddle segments.
  socket->SetConnectCallback(
      ns3::Callback<void, ns3::Ptr<ns3::Socket>>([&hello](ns3::Ptr<ns3::Socket> s) {
        for (std::size_t at = 0, i = 0; at < hello.size(); at += 7, ++i) {
          const std::size_t n = std::min<std::size_t>(7, hello.size() - at);
          ns3::Simulator::Schedule(ns3::MilliSeconds(5 * i), [s, &hello, at, n] {
            s->Send(ns3::Create<ns3::Packet>(hello.data() + at, static_cast<std::uint32_t>(n)));
          });
        }
      }),
      ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  ns3::Simulator::Schedule(ns3::Seconds(1), [socket, &world] {
    socket->Connect(ns3::InetSocketAddress(world->topo.ServerAddress(), 443));
  });
  ns3::Simulator::Stop(ns3::Seconds(10));
  ns3::Simulator::Run();

  BOOST_TEST_REQUIRE(world->clientHellos.size() == 1u);
  BOOST_TEST((world->clientHellos[0] == hello));  // both records, nothing more
  BOOST_TEST_REQUIRE(received.size() > 5u);
  BOOST_TEST(received[0] == 0x16);  // OpenSSL answered with a ServerHello record
  BOOST_TEST(received[5] == 0x02);
  socket->Close();
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(a_client_hello_ttl_that_expires_at_r3_never_reaches_the_server) {
  // client → r1 → r2 → [bump] → r3: TTL 3 dies at r3; the bump does not count.
  test::TlsWorldOptions options;
  options.clientHelloTtl = 3;
  auto world = RunWorld(std::make_shared<PassthroughProcessor>(), options);
  const TlsClientResult& r = world->client->GetResult();
  BOOST_TEST(r.connected);  // the handshake segments used the normal TTL
  BOOST_TEST(!r.handshakeDone);
  BOOST_TEST(world->clientHellos.empty());  // nor did any retransmission get through
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(a_client_hello_ttl_of_five_just_reaches_the_server) {
  test::TlsWorldOptions options;
  options.clientHelloTtl = 5;  // r1, r2, r3, r4 each take one; the server gets TTL 1
  auto world = RunWorld(std::make_shared<PassthroughProcessor>(), options);
  BOOST_TEST(world->client->GetResult().handshakeDone);
  BOOST_TEST(world->clientHellos.size() == 1u);
  ns3::Simulator::Destroy();
}

BOOST_AUTO_TEST_CASE(a_reset_mid_transfer_ends_both_sides_cleanly) {
  auto processor = std::make_shared<CutAfter>(30);
  test::TlsWorldOptions options;
  options.path = "/bytes/200000";
  auto world = RunWorld(processor, options);
  const TlsClientResult& r = world->client->GetResult();
  BOOST_TEST(processor->cut);
  BOOST_TEST(r.handshakeDone);
  BOOST_TEST(r.reset);
  BOOST_TEST(!r.responseComplete);
  BOOST_TEST(r.responseBody.size() > 0u);
  BOOST_TEST(r.responseBody.size() < 200000u);
  // What did arrive is the right prefix.
  BOOST_TEST((r.responseBody == Bytes(HttpBody(r.responseBody.size()))));
  BOOST_TEST(world->server->GetCounters().resets == 1u);
  ns3::Simulator::Destroy();
}

namespace {

// Forwards everything and keeps every datagram with its arrival time: the bump's pcap.
class Recorder : public PassthroughProcessor {
 public:
  Disposition on_packet(Timestamp now, LinkSide from, ByteView ip) override {
    packets.push_back({now, from, Bytes(ip.begin(), ip.end())});
    return PassthroughProcessor::on_packet(now, from, ip);
  }
  struct Seen {
    Timestamp at;
    LinkSide side;
    Bytes ip;
    bool operator==(const Seen&) const = default;
  };
  std::vector<Seen> packets;
};

struct RunRecord {
  Bytes sent, received;
  std::vector<Bytes> chain;
  std::vector<Bytes> hellos;
  std::vector<Recorder::Seen> wire;
};

RunRecord SeededRun(std::string_view seed) {
  SeededRandomGuard guard(as_bytes(seed));  // before any key is made
  auto recorder = std::make_shared<Recorder>();
  auto world = RunWorld(recorder, {});
  RunRecord rec{world->client->GetResult().sent, world->client->GetResult().received,
                world->client->GetResult().peerChain, world->clientHellos, recorder->packets};
  BOOST_TEST(world->client->GetResult().responseComplete);
  ns3::Simulator::Destroy();
  return rec;
}

}  // namespace

BOOST_AUTO_TEST_CASE(seeded_runs_are_byte_identical) {
  RunRecord first = SeededRun("scenario-42");
  RunRecord second = SeededRun("scenario-42");
  RunRecord other = SeededRun("scenario-43");
  BOOST_TEST_REQUIRE(!first.received.empty());
  BOOST_TEST((first.sent == second.sent));
  BOOST_TEST((first.received == second.received));
  BOOST_TEST((first.chain == second.chain));
  BOOST_TEST((first.hellos == second.hellos));
  // Every datagram on the bumped link, headers included, at the same simulated time.
  BOOST_TEST(first.wire.size() > 10u);
  BOOST_TEST((first.wire == second.wire));
  // And the seed matters: another seed gives other keys and other randoms.
  BOOST_TEST((first.sent != other.sent));
  BOOST_TEST((first.chain != other.chain));
  BOOST_TEST((first.wire != other.wire));
}

BOOST_AUTO_TEST_CASE(unseeded_runs_differ) {
  // The control: without the guard OpenSSL's own randomness makes every run different,
  // so the equality above is the guard's doing.
  auto run = [] {
    auto world = RunWorld(std::make_shared<PassthroughProcessor>(), {});
    Bytes sent = world->client->GetResult().sent;
    ns3::Simulator::Destroy();
    return sent;
  };
  Bytes a = run(), b = run();
  BOOST_TEST_REQUIRE(!a.empty());
  BOOST_TEST((a != b));
}
