// The scenario world in ns-3 (sim/world-builder.h), on a small graph:
//
//   v1 ── r1 ── r2 ══[box]══ r3 ── r4 ── site-r4-web (a, target, down, closed)
//                 \                 /
//                  r5 ─────────────     (r5-r4 cost 1 or 5)   v2 ── r5
//
// Traceroute sees exactly the routers (not the bump); TLS to a site works; down addresses
// are silent and no_tls ones answer RST; Path() reads the installed tables; costs and the
// tie-break decide who crosses the bump; the engine forges for a target; loss and
// reordering still let handshakes finish; two builds give byte-identical pcaps.
#define BOOST_TEST_MODULE world_builder
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <unistd.h>

#include <ns3/inet-socket-address.h>
#include <ns3/integer.h>
#include <ns3/ipv4-raw-socket-factory.h>
#include <ns3/packet.h>
#include <ns3/simulator.h>
#include <ns3/socket.h>
#include <ns3/string.h>
#include <ns3/udp-socket-factory.h>
#include <ns3/uinteger.h>

#include "interceptor/forge/forger.h"
#include "interceptor/tls/origin-certificate-judge.h"
#include "net/seeded-random.h"
#include "sim/lab-pki.h"
#include "sim/static-routes.h"
#include "sim/table-routing.h"
#include "sim/tls-app-helpers.h"
#include "sim/tls-client-app.h"
#include "sim/world-builder.h"
#include "tests/support/hijack-world.h"

using namespace mitmlab;
namespace hijack = mitmlab::test::hijack;

namespace {

const Ipv4Address kR1(10, 0, 0, 1), kR2(10, 0, 0, 2), kR3(10, 0, 0, 3), kR4(10, 0, 0, 4), kR5(10, 0, 0, 5);
const Ipv4Address kV1(192, 0, 2, 10), kV2(192, 0, 2, 20);
const Ipv4Address kA(198, 51, 100, 1), kDown(198, 51, 100, 2), kClosed(198, 51, 100, 3), kTarget(198, 51, 100, 4);
constexpr std::time_t kStart = 1563580800;  // 2019-07-20T00:00:00Z

struct Options {
  std::uint32_t r5r4_cost = 1;
  LinkProperties r3r4;  // impairments go here
  LinkProperties r2r3;  // the bumped link
};

Scenario make_scenario(const Options& o = {}) {
  Scenario s;
  s.name = "world-test";
  s.start = kStart;
  s.seed = 7;
  s.routers = {{"r1", kR1, "AS1"}, {"r2", kR2, "AS1"}, {"r3", kR3, "AS2"}, {"r4", kR4, "AS2"}, {"r5", kR5, "AS3"}};
  LinkProperties slow;
  slow.cost = o.r5r4_cost;
  s.links = {{"r1", "r2", {}}, {"r2", "r3", o.r2r3}, {"r3", "r4", o.r3r4}, {"r2", "r5", {}}, {"r5", "r4", slow}};
  ScenarioBump bump;
  bump.name = "box";
  bump.a = "r2";
  bump.b = "r3";
  bump.engine.targets = {"target.test"};
  s.bumps = {bump};
  s.vantages = {{"v1", "vps", kV1, "r1", {}}, {"v2", "vps", kV2, "r5", {}}};
  auto server = [](std::string name, Ipv4Address a, CertKind kind) {
    ScenarioServer sv;
    sv.name = std::move(name);
    sv.address = a;
    sv.attach = "r4";
    sv.as = "AS2";
    sv.group = "web";
    sv.kind = kind;
    return sv;
  };
  s.servers = {server("a.web.example", kA, CertKind::trusted), server("down.web.example", kDown, CertKind::down),
               server("closed.web.example", kClosed, CertKind::no_tls),
               server("target.test", kTarget, CertKind::trusted)};
  ServerGroup g;
  g.name = "web";
  g.attach = "r4";
  g.count = 4;
  s.groups = {g};
  return s;
}

// The lab PKI: one CA, a leaf per server name, made on first use.
struct Pki {
  TestCa ca = make_test_ca("mitmlab Test Root");
  X509StorePtr trust = make_trust_store(ca);
  std::map<std::string, TlsCredentialsPtr> leaves;
  std::vector<std::pair<Ipv4Address, std::string>> asked;  // (server, sni)

  ServerCredentialsResolver resolver() {
    return [this](const ScenarioServer& server, std::string_view sni) {
      asked.emplace_back(server.address, std::string(sni));
      auto& leaf = leaves[server.name];
      if (!leaf) leaf = make_test_leaf(ca, {server.name}, static_cast<long>(100 + leaves.size()));
      return leaf;
    };
  }
};

// The fixture: the PKI wired into the options; the simulator destroyed at the end.
struct Lab {
  Pki pki;
  WorldOptions options;
  Lab() { options.credentials = pki.resolver(); }
  ~Lab() { ns3::Simulator::Destroy(); }
};

Options impaired(double loss, double reorder) {
  Options o;
  o.r3r4.loss = loss;
  o.r3r4.reorder = reorder;
  return o;
}

std::unique_ptr<World> build(const Scenario& s, WorldOptions o) {
  Result<std::unique_ptr<World>> w = BuildWorld(s, o);
  BOOST_TEST_REQUIRE(w.ok(), (w.ok() ? "" : w.message()));
  return std::move(w.value());
}

ns3::Ptr<TlsClientApp> client(World& w, std::string_view vantage, Ipv4Address server, const std::string& sni,
                              X509_STORE* trust, double start) {
  TlsClientHelper helper(ns3::InetSocketAddress(ns3::Ipv4Address(server.value), 443), sni, trust);
  helper.SetAttribute("VerifyTime", ns3::IntegerValue(hijack::kVerifyAt));
  ns3::ApplicationContainer apps = helper.Install(w.GetVantage(vantage));
  apps.Start(ns3::Seconds(start));
  return ns3::DynamicCast<TlsClientApp>(apps.Get(0));
}

void run(double seconds) {
  ns3::Simulator::Stop(ns3::Seconds(seconds));
  ns3::Simulator::Run();
}

// A UDP traceroute from a node: probe k has TTL k and destination port 33434 + k; an ICMP
// raw socket collects the time-exceeded sources by the port quoted back.
struct Traceroute {
  ns3::Ptr<ns3::Socket> icmp, udp;
  std::map<int, Ipv4Address> exceeded;  // ttl -> source
  std::vector<std::uint8_t> other_types;

  Traceroute(ns3::Ptr<ns3::Node> node, Ipv4Address to, int max_ttl) {
    icmp = ns3::Socket::CreateSocket(node, ns3::Ipv4RawSocketFactory::GetTypeId());
    icmp->SetAttribute("Protocol", ns3::UintegerValue(1));
    icmp->SetRecvCallback(ns3::Callback<void, ns3::Ptr<ns3::Socket>>([this](ns3::Ptr<ns3::Socket> s) { Read(s); }));
    udp = ns3::Socket::CreateSocket(node, ns3::UdpSocketFactory::GetTypeId());
    udp->Bind();
    for (int ttl = 1; ttl <= max_ttl; ++ttl) {
      ns3::Simulator::Schedule(ns3::Seconds(1 + 0.2 * ttl), [this, ttl, to] {
        udp->SetIpTtl(static_cast<std::uint8_t>(ttl));
        udp->SendTo(ns3::Create<ns3::Packet>(32), 0,
                    ns3::InetSocketAddress(ns3::Ipv4Address(to.value), static_cast<std::uint16_t>(33434 + ttl)));
      });
    }
  }

  void Read(ns3::Ptr<ns3::Socket> s) {
    ns3::Address from;
    while (ns3::Ptr<ns3::Packet> p = s->RecvFrom(from)) {
      std::vector<std::uint8_t> b(p->GetSize());
      p->CopyData(b.data(), static_cast<std::uint32_t>(b.size()));
      const std::size_t ihl = (b.at(0) & 0x0f) * 4u;
      const std::uint8_t type = b.at(ihl);
      if (type != 11) {
        other_types.push_back(type);
        continue;
      }
      const std::size_t quoted = ihl + 8;
      const std::size_t udp_at = quoted + (b.at(quoted) & 0x0f) * 4u;
      const int port = b.at(udp_at + 2) << 8 | b.at(udp_at + 3);
      exceeded[port - 33434] = Ipv4Address(b[12], b[13], b[14], b[15]);
    }
  }
};

// Counts TCP segments with RST arriving at a node from an address (a raw socket sees a copy).
struct RstWatch {
  ns3::Ptr<ns3::Socket> raw;
  std::map<std::uint32_t, int> rsts;  // source -> count
  explicit RstWatch(ns3::Ptr<ns3::Node> node) {
    raw = ns3::Socket::CreateSocket(node, ns3::Ipv4RawSocketFactory::GetTypeId());
    raw->SetAttribute("Protocol", ns3::UintegerValue(6));
    raw->SetRecvCallback(ns3::Callback<void, ns3::Ptr<ns3::Socket>>([this](ns3::Ptr<ns3::Socket> s) {
      ns3::Address from;
      while (ns3::Ptr<ns3::Packet> p = s->RecvFrom(from)) {
        std::vector<std::uint8_t> b(p->GetSize());
        p->CopyData(b.data(), static_cast<std::uint32_t>(b.size()));
        const std::size_t ihl = (b.at(0) & 0x0f) * 4u;
        if (b.at(ihl + 13) & 0x04) ++rsts[Ipv4Address(b[12], b[13], b[14], b[15]).value];
      }
    }));
  }
};

std::vector<std::string> hop_names(const WorldPath& p) {
  std::vector<std::string> out;
  for (const PathHop& h : p.hops) out.push_back(h.router);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(aggregation_keeps_exceptions_inside_an_aggregate) {
  std::vector<std::pair<Ipv4Address, std::size_t>> owned;
  for (std::uint32_t i = 1; i <= 1000; ++i) owned.emplace_back(Ipv4Address(0x0a090000 + i), i == 500 ? 1 : 0);
  owned.emplace_back(Ipv4Address(10, 0, 0, 1), 2);
  const std::vector<OwnedPrefix> p = aggregate_prefixes(owned);
  // 10.0.0.1 alone, 10.9.0.0/16 to node 0 and 10.9.1.244/32 (the 500th) to node 1.
  BOOST_TEST_REQUIRE(p.size() == 3u);
  BOOST_TEST(p[0].prefix.network == Ipv4Address(10, 0, 0, 0));
  BOOST_TEST(p[0].owner == 2u);
  BOOST_TEST((p[1].prefix.network == Ipv4Address(10, 9, 0, 0) && p[1].prefix.length == 16u && p[1].owner == 0u));
  BOOST_TEST((p[2].prefix.network == Ipv4Address(0x0a090000 + 500) && p[2].prefix.length == 32u && p[2].owner == 1u));
}

namespace {

void expect_error(const Scenario& s, const std::string& part) {
  Result<std::unique_ptr<World>> w = BuildWorld(s, {});
  BOOST_TEST_REQUIRE(!w.ok());
  BOOST_TEST(w.message().find(part) != std::string::npos, w.message());
  ns3::Simulator::Destroy();
}

}  // namespace

BOOST_AUTO_TEST_CASE(bad_scenarios_are_errors_naming_the_culprit) {
  Scenario s = make_scenario();
  s.links[0].properties.cost = 0;
  expect_error(s, "link r1-r2 has cost 0");
  Scenario t = make_scenario();
  t.bumps[0].b = "r4";
  expect_error(t, "bump box is on r2-r4: no such link");
  Scenario d = make_scenario();
  d.vantages[1].address = kR3;
  expect_error(d, "address 10.0.0.3 is used by both router r3 and vantage v2");
  Scenario n = make_scenario();
  n.vantages[0].name = "v/1";
  expect_error(n, "node name \"v/1\"");
  Scenario c = make_scenario();
  expect_error(c, "site site-r4-web has TLS servers but WorldOptions::credentials is not set");
}

BOOST_FIXTURE_TEST_CASE(traceroute_sees_exactly_the_routers_and_not_the_bump, Lab) {
  auto w = build(make_scenario(), options);
  Traceroute trace(w->GetVantage("v1"), kA, 6);
  run(5);
  BOOST_TEST_REQUIRE(trace.exceeded.size() == 4u);
  const std::vector<Ipv4Address> expected{kR1, kR2, kR3, kR4};
  for (int ttl = 1; ttl <= 4; ++ttl) BOOST_TEST(trace.exceeded[ttl] == expected[ttl - 1]);
  // TTL 5 and 6 reached the site: port unreachable (type 3), no fifth hop.
  BOOST_TEST(trace.other_types.size() == 2u);
  // The bump saw the probes and forwarded them untouched.
  const BumpInfo* box = w->GetBump("box");
  BOOST_TEST_REQUIRE(box);
  BOOST_TEST(box->bump->GetForwarded(LinkSide::kA) >= 2u);
}

BOOST_FIXTURE_TEST_CASE(path_reads_the_installed_tables, Lab) {
  auto w = build(make_scenario(), options);
  const WorldPath p = w->Path("v1", kA);
  BOOST_TEST(p.delivered);
  BOOST_TEST(p.last == "site-r4-web");
  BOOST_TEST((hop_names(p) == std::vector<std::string>{"r1", "r2", "r3", "r4"}));
  BOOST_TEST(p.hops[1].address == kR2);
  BOOST_TEST_REQUIRE(p.bumps.size() == 1u);
  BOOST_TEST(p.bumps[0].name == "box");
  BOOST_TEST(p.bumps[0].before == 1u);  // between r2 ...
  BOOST_TEST(p.bumps[0].after == 2u);   // ... and r3
  // A down address is routed to the site and dropped there; no_tls lives on the closed node.
  const WorldPath down = w->Path("v1", kDown);
  BOOST_TEST(!down.delivered);
  BOOST_TEST(down.last == "site-r4-web");
  const WorldPath closed = w->Path("v1", kClosed);
  BOOST_TEST(closed.delivered);
  BOOST_TEST(closed.last == "site-r4-web-closed");
  // The reverse path: from the site back to the vantage.
  const WorldPath back = w->Path(w->GetSites().at(0).node, kV1);
  BOOST_TEST((hop_names(back) == std::vector<std::string>{"r4", "r3", "r2", "r1"}));
  BOOST_TEST_REQUIRE(back.bumps.size() == 1u);
  BOOST_TEST(back.bumps[0].before == 1u);
  // Lookups.
  BOOST_TEST(w->GetSite(kTarget)->name == "site-r4-web");
  BOOST_TEST(w->GetServer(kClosed)->name == "closed.web.example");
  BOOST_TEST(!w->GetServer(Ipv4Address(1, 2, 3, 4)));
  BOOST_TEST(w->GetBump("box")->engine->config().targets == std::vector<std::string>{"target.test"});
  // Routers hold aggregated routes: the four servers are one or two prefixes, not four /32s.
  BOOST_TEST(GetTableRouting(w->GetRouter("r1"))->GetNRoutes() <= 10u);
}

BOOST_FIXTURE_TEST_CASE(costs_and_tie_break_decide_who_crosses_the_bump, Lab) {
  {
    // r5-r4 costs 1: r2 has two equal paths to r4 (via r3, via r5) and picks r3 (name order);
    // v2 at r5 goes straight to r4.
    auto w = build(make_scenario(), options);
    const WorldPath p1 = w->Path("v1", kA);
    const WorldPath p2 = w->Path("v2", kA);
    BOOST_TEST(p1.bumps.size() == 1u);
    BOOST_TEST(p2.bumps.empty());
    BOOST_TEST((hop_names(p2) == std::vector<std::string>{"r5", "r4"}));
    // The packets agree: v2's handshake does not cross the bump, v1's does.
    auto c2 = client(*w, "v2", kA, "a.web.example", pki.trust.get(), 1);
    run(3);
    BOOST_TEST(c2->GetResult().handshakeDone);
    const Engine* e = w->GetBump("box")->engine;
    BOOST_TEST(e->counters().flows_seen == 0u);
  }
  ns3::Simulator::Destroy();
  {
    // r5-r4 costs 5: v2 goes r5 r2 r3 r4 and crosses the bump.
    Options opt;
    opt.r5r4_cost = 5;
    auto w = build(make_scenario(opt), options);
    const WorldPath p2 = w->Path("v2", kA);
    BOOST_TEST((hop_names(p2) == std::vector<std::string>{"r5", "r2", "r3", "r4"}));
    BOOST_TEST_REQUIRE(p2.bumps.size() == 1u);
    BOOST_TEST(p2.bumps[0].before == 1u);
    auto c2 = client(*w, "v2", kA, "a.web.example", pki.trust.get(), 1);
    run(3);
    BOOST_TEST(c2->GetResult().handshakeDone);
    BOOST_TEST(w->GetBump("box")->engine->counters().flows_seen == 1u);
  }
}

BOOST_FIXTURE_TEST_CASE(tls_works_down_is_silent_no_tls_answers_rst, Lab) {
  auto w = build(make_scenario(), options);
  RstWatch watch(w->GetVantage("v1"));
  auto ok = client(*w, "v1", kA, "a.web.example", pki.trust.get(), 1);
  auto down = client(*w, "v1", kDown, "down.web.example", pki.trust.get(), 1);
  auto closed = client(*w, "v1", kClosed, "closed.web.example", pki.trust.get(), 1);
  run(400);  // long enough for ns-3's SYN retries to give up
  const TlsClientResult& r = ok->GetResult();
  BOOST_TEST(r.handshakeDone);
  BOOST_TEST(r.verifyResult == X509_V_OK);
  BOOST_TEST_REQUIRE(!r.peerChain.empty());
  BOOST_TEST((r.peerChain[0] == x509_to_der(pki.leaves.at("a.web.example")->leaf.get())));
  // The resolver was asked for this server, at accept ("") and with the SNI.
  BOOST_TEST((pki.asked.back() == std::make_pair(kA, std::string("a.web.example"))));
  BOOST_TEST(!down->GetResult().connected);
  BOOST_TEST(down->GetResult().connectFailed);
  BOOST_TEST(watch.rsts[kDown.value] == 0);
  // ns-3 3.37's TCP ignores a RST+ACK in SYN_SENT, so this client times out as well; the
  // RSTs on the wire are what tell the two apart.
  BOOST_TEST(!closed->GetResult().connected);
  BOOST_TEST(watch.rsts[kClosed.value] >= 1);
  BOOST_TEST(w->GetSites().at(0).apps.size() == 1u);
  BOOST_TEST(w->GetSites().at(0).apps[0]->GetCounters().accepted == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_forging_engine_hijacks_the_target, Lab) {
  const X509* root = pki.ca.cert.get();
  options.engine_dependencies = [root](const ScenarioBump&) -> Result<EngineDependencies> {
    EngineDependencies deps;
    deps.forger = std::make_shared<Forger>(hijack::authority());
    Result<OriginCertificateJudge> judge = OriginCertificateJudge::from_roots({root});
    if (!judge) return judge.error();
    deps.judge = std::make_shared<const OriginCertificateJudge>(std::move(judge.value()));
    return deps;
  };
  auto w = build(make_scenario(), options);
  X509StorePtr fake = hijack::store_of(&hijack::authority()->root());
  auto target = client(*w, "v1", kTarget, "target.test", fake.get(), 1);
  auto other = client(*w, "v1", kA, "a.web.example", pki.trust.get(), 1);
  run(20);
  BOOST_TEST(target->GetResult().handshakeDone);
  BOOST_TEST(target->GetResult().verifyResult == X509_V_OK);
  hijack::check_forged(target->GetResult().peerChain, pki.leaves.at("target.test")->leaf.get());
  BOOST_TEST(other->GetResult().verifyResult == X509_V_OK);
  BOOST_TEST((other->GetResult().peerChain.at(0) == x509_to_der(pki.leaves.at("a.web.example")->leaf.get())));
  const EngineCounters& c = w->GetBump("box")->engine->counters();
  BOOST_TEST(c.flows_hijacked == 1u);
  // The engine judged at scenario time: calendar origin = Scenario::start.
  BOOST_TEST(w->GetBump("box")->engine->calendar_time(Timestamp{}) == kStart);
}

BOOST_FIXTURE_TEST_CASE(loss_and_reordering_still_complete_handshakes, Lab) {
  Options opt = impaired(0.01, 0.05);
  opt.r2r3.loss = 0.01;  // the bumped link too: the impairment wraps the engine
  opt.r2r3.reorder = 0.05;
  auto w = build(make_scenario(opt), options);
  std::vector<ns3::Ptr<TlsClientApp>> clients;
  for (int i = 0; i < 30; ++i) {
    clients.push_back(client(*w, i % 2 ? "v1" : "v2", kA, "a.web.example", pki.trust.get(), 1 + 0.1 * i));
  }
  run(120);
  for (const auto& c : clients) BOOST_TEST(c->GetResult().handshakeDone);
  BOOST_TEST_REQUIRE(w->GetImpairedLinks().size() == 2u);
  for (const ImpairedLink& link : w->GetImpairedLinks()) {
    BOOST_TEST_CONTEXT(link.name) {
      const LinkImpairment::Counters& k = link.impairment->counters();
      BOOST_TEST(k.packets > 100u);  // v1's flows (v2's take r5-r4)
      BOOST_TEST(k.reordered > 0u);
      BOOST_TEST(k.lost > 0u);
    }
  }
  const BumpInfo* box = w->GetBump("box");
  BOOST_TEST((box->impairment == w->GetImpairedLinks()[0].impairment.get()));
  // The engine saw v1's 15 flows behind the impairment (a late retransmission after a flow
  // left its table may count once more).
  BOOST_TEST(box->engine->counters().flows_seen >= 15u);
}

namespace {

std::map<std::string, std::string> run_and_capture(const std::filesystem::path& dir) {
  std::map<std::string, std::string> files;
  {
    SeededRandomGuard random(as_bytes("world-builder-test"));
    Lab lab;
    auto w = build(make_scenario(impaired(0.02, 0.05)), lab.options);
    std::filesystem::create_directories(dir);
    w->EnablePcap(dir);
    std::vector<ns3::Ptr<TlsClientApp>> clients;
    for (int i = 0; i < 5; ++i) clients.push_back(client(*w, "v1", kA, "a.web.example", lab.pki.trust.get(), 1 + 0.05 * i));
    clients.push_back(client(*w, "v2", kTarget, "target.test", lab.pki.trust.get(), 1.2));
    run(60);
    ns3::Simulator::Destroy();  // closes the pcap files
    for (const auto& c : clients) BOOST_TEST(c->GetResult().handshakeDone);
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    files[entry.path().filename().string()] = std::string(std::istreambuf_iterator<char>(in), {});
  }
  return files;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(the_same_world_twice_gives_identical_pcaps, Lab) {
  const auto base = std::filesystem::temp_directory_path() / ("mitmlab-world-test-" + std::to_string(getpid()));
  const auto first = run_and_capture(base / "one");
  const auto second = run_and_capture(base / "two");
  std::filesystem::remove_all(base);
  BOOST_TEST(first.size() > 10u);
  BOOST_TEST(first.count("r1-0.pcap") == 1u);
  BOOST_TEST_REQUIRE(first.count("box-0.pcap") == 1u);
  BOOST_TEST(first.at("box-0.pcap").size() > 10000u);  // the handshakes crossed the bump
  BOOST_TEST_REQUIRE(first.size() == second.size());
  for (const auto& [name, bytes] : first) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(bytes.size() >= 24u);  // at least the pcap header
      BOOST_TEST((second.count(name) == 1 && second.at(name) == bytes));
    }
  }
}
