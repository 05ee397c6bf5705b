// The TTL localizer over an in-memory path (tests/support/fake-path.h), in raw and socket
// mode: an injector between two routers is located there with the right hop distance to the
// server; no injector gives no-injection with every hop; an injector at the server's own
// hop is at-server; silent routers and lost ICMP leave null hops, unless a TTL's second or
// third try draws its ICMP; a control that draws no
// answer is unreachable; refused and dead hosts are errors; hostile packets are counted and
// ignored; the same inputs give the same JSON.
#define BOOST_TEST_MODULE localizer
#include "scanner/localizer.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "net/icmp-message.h"
#include "net/tcp-segment.h"
#include "scanner/certificate-summary.h"
#include "scanner/trace-verdict.h"
#include "scanner/ttl-sweep.h"
#include "tests/support/fake-path.h"
#include "tests/support/lookalike-forgery.h"
#include "tests/support/throwaway-pki.h"

namespace mitmlab {
std::ostream& operator<<(std::ostream& os, TraceMode mode) { return os << trace_mode_name(mode); }
}  // namespace mitmlab

namespace boost::test_tools::tt_detail {
template <typename T>
struct print_log_value<std::optional<T>> {
  void operator()(std::ostream& os, const std::optional<T>& v) {
    if (v)
      os << *v;
    else
      os << "nullopt";
  }
};
}  // namespace boost::test_tools::tt_detail

using namespace mitmlab;
using namespace mitmlab::test;
using namespace std::chrono_literals;

namespace {

const Ipv4Address kClient(192, 0, 2, 10);
const std::string kTarget = "www.facebook.com";

struct Pki {
  ThrowawayChain bank = make_throwaway_chain("bank.kz", "Bank");
  std::shared_ptr<const ForgedChain> forged = lookalike_forgery(*bank.leaf.cert);
  std::shared_ptr<const SniTestServerContexts> server, injector;
  std::string bank_sha256, forged_sha256;
  Pki() {
    SniTestServerOptions s;
    s.default_chain = {bank.leaf.cert.get(), bank.leaf.key.get(), {bank.intermediate.cert.get()}};
    server = std::make_shared<const SniTestServerContexts>(s);
    SniTestServerOptions i;
    i.default_chain = {forged->leaf.get(), forged->leaf_key.get(), {forged->intermediate.get()}};
    injector = std::make_shared<const SniTestServerContexts>(i);
    bank_sha256 = summarize_certificate(der_list({bank.leaf.cert.get()}).front())->sha256;
    forged_sha256 = summarize_certificate(der_list({forged->leaf.get()}).front())->sha256;
  }
};
const Pki& pki() {
  static const Pki p;
  return p;
}

Ipv4Address router(unsigned host, unsigned i) {
  return Ipv4Address(10, static_cast<std::uint8_t>(host), 0, static_cast<std::uint8_t>(i));
}

// Host h: routers 10.h.0.1 .. 10.h.0.(m-1), the server at distance m.
FakeHostPath path(unsigned h, unsigned m, std::optional<unsigned> injector_at = std::nullopt) {
  FakeHostPath p;
  for (unsigned i = 1; i < m; ++i) p.routers.push_back(router(h, i));
  p.tls = pki().server;
  if (injector_at) p.injector = FakeInjector{*injector_at, kTarget, pki().injector};
  return p;
}

LocalizerConfig config(TraceMode mode, std::vector<std::string> hosts) {
  LocalizerConfig c;
  for (auto& a : hosts) c.hosts.push_back({a, 443});
  c.test_sni = kTarget;
  c.mode = mode;
  c.max_ttl = 16;
  c.local_address = kClient;
  c.connect_timeout = 3s;
  c.concurrency = 2;
  return c;
}

std::vector<TraceResult> run(FakePath& net, const LocalizerConfig& c,
                             LocalizerCounters* counters = nullptr) {
  auto localizer = Localizer::create(c);
  BOOST_TEST_REQUIRE(localizer.ok(), (localizer.ok() ? "" : localizer.message()));
  Timestamp now = 0s;
  auto results = net.run(**localizer, now);
  BOOST_TEST((*localizer)->done());
  BOOST_TEST(net.open_connections() == 0u);  // every connection closed (socket) / reset (raw)
  BOOST_TEST((*localizer)->counters().max_active <= c.concurrency);
  if (counters) *counters = (*localizer)->counters();
  return results;
}

TraceResult run_one(FakePath& net, const LocalizerConfig& c) {
  auto results = run(net, c);
  BOOST_TEST_REQUIRE(results.size() == 1u);
  return results.front();
}

std::optional<Ipv4Address> hop(const std::vector<TraceHop>& hops, unsigned ttl) {
  for (const auto& h : hops)
    if (h.ttl == ttl) return h.address;
  return std::nullopt;
}

const TraceMode kModes[] = {TraceMode::raw, TraceMode::socket};

}  // namespace

BOOST_DATA_TEST_CASE(injection_between_hops_is_located, kModes, mode) {
  FakePath net(kClient);
  net.hosts["10.9.9.1"] = path(1, 7, 5);
  TraceResult r = run_one(net, config(mode, {"10.9.9.1"}));
  BOOST_TEST(r.verdict == "injected-before-server");
  BOOST_TEST(r.injection_ttl == 5u);
  BOOST_TEST(r.server_ttl == 7u);
  BOOST_TEST(r.hops_before_server == 2u);
  BOOST_TEST(r.hop_before == router(1, 4));
  BOOST_TEST(r.hop_after == router(1, 5));
  BOOST_TEST(r.test.leaf_sha256 == pki().forged_sha256);
  BOOST_TEST(r.test.issuer == "C = KZ, CN = Security Certificate");
  BOOST_TEST(r.control.leaf_sha256 == pki().bank_sha256);
  BOOST_TEST(r.control.issuer.find("Bank Intermediate") != std::string::npos);
  BOOST_TEST((r.test.rtt == Duration(14ms)));  // 7 hops x 1 ms each way
  BOOST_TEST(r.test.error == "");
  // Merged: routers 1-6 from the control, answered at 5 (test) and 7 (control).
  BOOST_TEST_REQUIRE(r.hops.size() == 7u);
  for (unsigned t = 1; t <= 6; ++t) BOOST_TEST(hop(r.hops, t) == router(1, t));
  BOOST_TEST(r.hops[4].answered);
  BOOST_TEST(r.hops[6].answered);
  BOOST_TEST(!r.hops[5].answered);
  BOOST_TEST(r.test.hops.size() == 5u);
  BOOST_TEST(!hop(r.test.hops, 5).has_value());  // the box is never a hop
  BOOST_TEST(net.hellos_at_server == 1u);         // only the control's hello got through

  auto j = to_json(r);
  BOOST_TEST_MESSAGE(j.dump());
  BOOST_TEST(j.at("verdict") == "injected-before-server");
  BOOST_TEST(j.at("hop_before") == "10.1.0.4");
  BOOST_TEST(j.at("hop_after") == "10.1.0.5");
  BOOST_TEST(j.at("hops_before_server") == 2);
  BOOST_TEST(j.at("mode") == std::string(trace_mode_name(mode)));
  BOOST_TEST(j.at("sni") == kTarget);
  BOOST_TEST(j.at("control_sni").is_null());
  BOOST_TEST(j.at("hops").at(6).at("answered") == true);
  BOOST_TEST(j.at("test_issuer") == "C = KZ, CN = Security Certificate");
  BOOST_TEST(j.at("errors").empty());
}

BOOST_DATA_TEST_CASE(no_injector_no_injection_with_every_hop, kModes, mode) {
  FakePath net(kClient);
  net.hosts["10.9.9.2"] = path(2, 6);
  TraceResult r = run_one(net, config(mode, {"10.9.9.2"}));
  BOOST_TEST(r.verdict == "no-injection");
  BOOST_TEST(r.injection_ttl == 6u);
  BOOST_TEST(r.server_ttl == 6u);
  BOOST_TEST(!r.hops_before_server.has_value());
  BOOST_TEST(!r.hop_before.has_value());
  BOOST_TEST(r.test.leaf_sha256 == r.control.leaf_sha256);
  BOOST_TEST_REQUIRE(r.hops.size() == 6u);
  for (unsigned t = 1; t <= 5; ++t) BOOST_TEST(hop(r.hops, t) == router(2, t));
  BOOST_TEST(r.hops[5].answered);
  BOOST_TEST(to_json(r).at("hops_before_server").is_null());
}

BOOST_DATA_TEST_CASE(injection_at_the_servers_hop, kModes, mode) {
  FakePath net(kClient);
  net.hosts["10.9.9.3"] = path(3, 4, 4);
  TraceResult r = run_one(net, config(mode, {"10.9.9.3"}));
  BOOST_TEST(r.verdict == "at-server");
  BOOST_TEST(r.injection_ttl == 4u);
  BOOST_TEST(r.server_ttl == 4u);
  BOOST_TEST(r.hops_before_server == 0u);
  BOOST_TEST(r.hop_before == router(3, 3));
  BOOST_TEST(r.test.leaf_sha256 == pki().forged_sha256);
}

BOOST_DATA_TEST_CASE(silent_routers_and_lost_icmp_leave_null_hops, kModes, mode) {
  FakePath net(kClient);
  FakeHostPath p = path(4, 7, 5);
  p.routers[1].reset();   // router 2 never answers
  p.routers[3].reset();   // router 4 (the hop before the box) neither
  p.lose_icmp[5] = 1;     // the first ICMP of router 5 (only the control's sweep reaches it)
  p.lose_icmp[1] = 1;     // router 1's first (the test sweep's): the control's fills in
  net.hosts["10.9.9.4"] = p;
  LocalizerConfig c = config(mode, {"10.9.9.4"});
  c.queries = 1;  // the 2019 script: one try per TTL, so a lost ICMP stays a "*"
  TraceResult r = run_one(net, c);
  BOOST_TEST(r.verdict == "injected-before-server");
  BOOST_TEST(r.hops_before_server == 2u);
  BOOST_TEST(!r.hop_before.has_value());
  BOOST_TEST(!r.hop_after.has_value());
  BOOST_TEST(!hop(r.test.hops, 1).has_value());
  BOOST_TEST(hop(r.control.hops, 1) == router(4, 1));
  BOOST_TEST(hop(r.hops, 1) == router(4, 1));
  BOOST_TEST(!hop(r.hops, 2).has_value());
  BOOST_TEST(hop(r.hops, 3) == router(4, 3));
  BOOST_TEST(!hop(r.hops, 5).has_value());
  BOOST_TEST(hop(r.hops, 6) == router(4, 6));
  auto j = to_json(r);
  BOOST_TEST(j.at("hop_before").is_null());
  BOOST_TEST(j.at("hops").at(1).at("address").is_null());
}

// A TTL that drew nothing is tried again (queries), so a lost ICMP next to the box no
// longer hides where it is; a router that never answers stays "*" after its tries.
BOOST_DATA_TEST_CASE(a_ttl_that_draws_nothing_is_tried_again, kModes, mode) {
  for (unsigned queries : {1u, 3u}) {
    FakePath net(kClient);
    FakeHostPath p = path(5, 7, 5);
    p.routers[1].reset();  // router 2 never answers
    p.lose_icmp[4] = 2;    // the hop before the box: its first two ICMPs are lost
    p.lose_icmp[5] = 1;    // the hop after it (the control's sweep): its first
    net.hosts["10.9.9.5"] = p;
    LocalizerConfig c = config(mode, {"10.9.9.5"});
    c.queries = queries;
    TraceResult r = run_one(net, c);
    BOOST_TEST_CONTEXT("queries " << queries) {
      BOOST_TEST(r.verdict == "injected-before-server");
      BOOST_TEST(r.hops_before_server == 2u);
      BOOST_TEST(!hop(r.hops, 2).has_value());
      BOOST_TEST(hop(r.hops, 3) == router(5, 3));
      if (queries == 1) {
        BOOST_TEST(!r.hop_before.has_value());
        BOOST_TEST(!r.hop_after.has_value());
      } else {
        BOOST_TEST(r.hop_before == router(5, 4));
        BOOST_TEST(r.hop_after == router(5, 5));
      }
      // One hop entry per TTL, however often it was tried.
      BOOST_TEST(r.test.hops.size() == 5u);
      BOOST_TEST(r.control.hops.size() == 7u);
    }
  }
}

// Socket mode: a TTL whose connection does not come up is tried again (queries), and the
// sweep's RTT is the least of its connections', not the first one's after a lost SYN.
BOOST_AUTO_TEST_CASE(socket_mode_retries_a_connection_and_keeps_the_least_rtt) {
  {
    FakePath net(kClient);
    FakeHostPath p = path(6, 7, 5);
    p.slow_connects = 1;  // the test sweep's first connection (TTL 1) comes up 3 s late
    net.hosts["10.9.9.6"] = p;
    TraceResult r = run_one(net, config(TraceMode::socket, {"10.9.9.6"}));
    BOOST_TEST(r.verdict == "injected-before-server");
    BOOST_TEST((r.test.rtt == Duration(14ms)));  // not 3 s + 14 ms
    BOOST_TEST((r.control.rtt == Duration(14ms)));
  }
  for (unsigned queries : {1u, 2u}) {
    FakePath net(kClient);
    FakeHostPath p = path(7, 7, 5);
    p.lose_syns = 1;  // the first connection never comes up
    net.hosts["10.9.9.7"] = p;
    LocalizerConfig c = config(TraceMode::socket, {"10.9.9.7"});
    c.queries = queries;
    c.connect_timeout = 1s;
    TraceResult r = run_one(net, c);
    BOOST_TEST_CONTEXT("queries " << queries) {
      if (queries == 1) {
        BOOST_TEST(r.test.error == "connect timed out (1 tries)");
        BOOST_TEST(!r.test.answer_ttl.has_value());
      } else {
        BOOST_TEST(r.test.error == "");
        BOOST_TEST(r.verdict == "injected-before-server");
        BOOST_TEST(r.hop_before == router(7, 4));
      }
    }
  }
}

BOOST_DATA_TEST_CASE(a_reset_is_an_answer_without_a_chain, kModes, mode) {
  FakePath net(kClient);
  FakeHostPath p = path(8, 6, 4);
  p.injector->reset = true;  // a censor that resets instead of forging
  net.hosts["10.9.9.8"] = p;
  TraceResult r = run_one(net, config(mode, {"10.9.9.8"}));
  BOOST_TEST(r.verdict == "injected-before-server");
  BOOST_TEST(r.injection_ttl == 4u);
  BOOST_TEST(r.hops_before_server == 2u);
  BOOST_TEST(r.test.leaf_sha256 == "");
  BOOST_TEST(r.test.error == "");
  BOOST_TEST(r.control.leaf_sha256 == pki().bank_sha256);
  BOOST_TEST(to_json(r).at("test_leaf_sha256").is_null());
}

BOOST_DATA_TEST_CASE(a_late_time_exceeded, kModes, mode) {
  FakePath net(kClient);
  FakeHostPath p = path(9, 5);
  p.slow_icmp[3] = 300ms;  // after the 200 ms wait: the sweep has moved on to TTL 4
  net.hosts["10.9.9.9"] = p;
  TraceResult r = run_one(net, config(mode, {"10.9.9.9"}));
  BOOST_TEST(r.verdict == "no-injection");
  BOOST_TEST(r.server_ttl == 5u);
  if (mode == TraceMode::raw) {
    // Credited to TTL 3 by the IP identification it quotes, not to the TTL being tried.
    BOOST_TEST(hop(r.test.hops, 3) == router(9, 3));
    BOOST_TEST(hop(r.test.hops, 4) == router(9, 4));
  } else {
    // Its connection was closed when the wait ended: the kernel drops it.
    BOOST_TEST(!hop(r.test.hops, 3).has_value());
  }
}

// A box that copies the hello (rather than holding it) and answers late: router 5's
// time-exceeded comes back before the injected answer. Both modes listen for the whole
// per-TTL wait after a hop's ICMP, so the answer still counts at TTL 5, and router 5 stays
// recorded as that TTL's hop.
BOOST_DATA_TEST_CASE(a_copying_injector_answering_after_the_routers_icmp, kModes, mode) {
  FakePath net(kClient);
  FakeHostPath p = path(10, 7, 5);
  p.injector->copies = true;
  p.injector->delay = 20ms;  // its answer 30 ms after the hello; router 5's ICMP after 10 ms
  net.hosts["10.9.9.10"] = p;
  TraceResult r = run_one(net, config(mode, {"10.9.9.10"}));
  BOOST_TEST(r.verdict == "injected-before-server");
  BOOST_TEST(r.injection_ttl == 5u);
  BOOST_TEST(r.server_ttl == 7u);
  BOOST_TEST(r.hops_before_server == 2u);
  BOOST_TEST(r.test.leaf_sha256 == pki().forged_sha256);
  BOOST_TEST_REQUIRE(r.test.hops.size() == 5u);
  BOOST_TEST(hop(r.test.hops, 5) == router(10, 5));  // the ICMP that came first is kept
  BOOST_TEST(r.test.hops[4].answered);
  BOOST_TEST(r.hop_before == router(10, 4));
  BOOST_TEST(r.hop_after == router(10, 5));
  BOOST_TEST(r.control.leaf_sha256 == pki().bank_sha256);
}

BOOST_AUTO_TEST_CASE(a_lost_syn_is_sent_again) {
  FakePath net(kClient);
  FakeHostPath p = path(1, 3);
  p.lose_syns = 2;  // the SYNs at 0 s and 1 s; the one at 3 s gets through
  net.hosts["10.9.9.1"] = p;
  auto c = config(TraceMode::raw, {"10.9.9.1"});
  c.connect_timeout = 10s;
  TraceResult r = run_one(net, c);
  BOOST_TEST(r.verdict == "no-injection");
  BOOST_TEST((r.test.rtt == Duration(6ms)));  // measured from the SYN that got through
  BOOST_TEST(r.server_ttl == 3u);
}

// The per-TTL wait: 2.5 RTTs, at least min_wait, at most 3 s (an RTT measured across a lost
// SYN-ACK is the peer's retransmission timer, not the path).
BOOST_AUTO_TEST_CASE(the_wait_per_ttl_is_bounded) {
  SweepSettings settings;
  settings.rtt_multiplier = 2.5;
  settings.min_wait = 200ms;
  TtlLadder ladder(settings);
  BOOST_TEST((ladder.wait() == Duration(200ms)));  // no RTT yet
  ladder.result.rtt = Duration(40ms);
  BOOST_TEST((ladder.wait() == Duration(200ms)));
  ladder.result.rtt = Duration(400ms);
  BOOST_TEST((ladder.wait() == Duration(1000ms)));
  ladder.result.rtt = Duration(3032ms);
  BOOST_TEST((ladder.wait() == Duration(3s)));
  BOOST_TEST((ladder.collect_wait() == Duration(6s)));
  ladder.result.rtt = Duration(40ms);
  BOOST_TEST((ladder.collect_wait() == Duration(3s)));
}

BOOST_DATA_TEST_CASE(control_without_answer_is_unreachable, kModes, mode) {
  FakePath net(kClient);
  FakeHostPath p = path(5, 5, 3);
  p.answers_hellos = false;  // the server swallows hellos; the injector still answers
  net.hosts["10.9.9.5"] = p;
  auto c = config(mode, {"10.9.9.5"});
  c.max_ttl = 8;
  TraceResult r = run_one(net, c);
  BOOST_TEST(r.verdict == "unreachable");
  BOOST_TEST(r.injection_ttl == 3u);
  BOOST_TEST(!r.server_ttl.has_value());
  BOOST_TEST(r.control.error == "no answer from the host up to TTL 8");
  BOOST_TEST(r.control.hops.size() == 8u);
  auto j = to_json(r);
  BOOST_TEST(j.at("errors").size() == 1u);
  BOOST_TEST(j.at("server_ttl").is_null());
}

BOOST_DATA_TEST_CASE(refused_and_dead_hosts_are_errors, kModes, mode) {
  FakePath net(kClient);
  FakeHostPath refused = path(6, 3);
  refused.refuse = true;
  FakeHostPath dead = path(7, 3);
  dead.dead = true;
  net.hosts["10.9.9.6"] = refused;
  net.hosts["10.9.9.7"] = dead;
  auto results = run(net, config(mode, {"10.9.9.6", "10.9.9.7"}));
  BOOST_TEST_REQUIRE(results.size() == 2u);
  // The refused host finishes first (order of completion).
  BOOST_TEST(results[0].host.address == "10.9.9.6");
  for (const auto& r : results) {
    BOOST_TEST(r.verdict == "unreachable");
    BOOST_TEST(!r.test.answer_ttl.has_value());
    BOOST_TEST(!r.test.error.empty());
    BOOST_TEST(!r.control.error.empty());
    BOOST_TEST(r.hops.empty());
  }
  BOOST_TEST(results[0].test.error.find("refused") != std::string::npos);
  BOOST_TEST(results[1].test.error.find("timed out") != std::string::npos);
}

BOOST_DATA_TEST_CASE(several_hosts_within_the_concurrency_limit, kModes, mode) {
  FakePath net(kClient);
  net.hosts["10.9.9.1"] = path(1, 7, 5);
  net.hosts["10.9.9.2"] = path(2, 3);
  net.hosts["10.9.9.3"] = path(3, 5, 2);
  net.hosts["10.9.9.4"] = path(4, 4);
  auto c = config(mode, {"10.9.9.1", "10.9.9.2", "10.9.9.3", "10.9.9.4"});
  c.concurrency = 2;
  LocalizerCounters counters;
  auto results = run(net, c, &counters);
  BOOST_TEST_REQUIRE(results.size() == 4u);
  BOOST_TEST(counters.max_active == 2u);
  std::map<std::string, TraceResult> by;
  for (auto& r : results) by[r.host.address] = r;
  BOOST_TEST(by.at("10.9.9.1").hops_before_server == 2u);
  BOOST_TEST(by.at("10.9.9.2").verdict == "no-injection");
  BOOST_TEST(by.at("10.9.9.3").hops_before_server == 3u);
  BOOST_TEST(by.at("10.9.9.3").hop_before == router(3, 1));
  BOOST_TEST(by.at("10.9.9.4").verdict == "no-injection");
}

BOOST_AUTO_TEST_CASE(hostile_packets_are_ignored_in_raw_mode) {
  // What the clean run ignores by itself (the injector's segments after our RST).
  LocalizerCounters clean;
  {
    FakePath net(kClient);
    net.hosts["10.9.9.1"] = path(1, 7, 5);
    run(net, config(TraceMode::raw, {"10.9.9.1"}), &clean);
  }
  FakePath net(kClient);
  net.hosts["10.9.9.1"] = path(1, 7, 5);
  const Ipv4Address server(10, 9, 9, 1);
  // Junk and truncation.
  net.inject(1ms, Bytes{});
  net.inject(1ms, Bytes{0x45, 0x00, 0x00});
  net.inject(1ms, Bytes(60, 0xff));
  // TCP from the host to a port no sweep uses, and to another address than ours.
  auto tcp = [&](Ipv4Address to, std::uint16_t dport, std::uint8_t flags) {
    return build_tcp_packet({.source = server, .source_port = 443, .destination = to,
                             .destination_port = dport, .seq = 1, .ack = 1, .flags = flags,
                             .window = 100});
  };
  net.inject(2ms, tcp(kClient, 1234, tcp_flag::kRst));
  net.inject(2ms, tcp(Ipv4Address(192, 0, 2, 99), 40000, tcp_flag::kRst));
  // A RST from another host to our first port, and data from the right host's wrong port.
  auto other = build_tcp_packet({.source = Ipv4Address(10, 9, 9, 8), .source_port = 443,
                                 .destination = kClient, .destination_port = 40000,
                                 .flags = tcp_flag::kRst});
  net.inject(3ms, other);
  // Time exceeded quoting someone else's packet (other ports, other source), mid-sweep.
  auto quoted_other = build_tcp_packet({.source = kClient, .source_port = 5555,
                                        .destination = server, .destination_port = 443,
                                        .seq = 9, .ttl = 1});
  auto quoted_foreign = build_tcp_packet({.source = Ipv4Address(1, 2, 3, 4), .source_port = 40000,
                                          .destination = server, .destination_port = 443,
                                          .ttl = 1});
  // Our ports, but a sequence number our hellos never had (our SYN's or someone forging).
  auto quoted_wrong_seq = build_tcp_packet({.source = kClient, .source_port = 40000,
                                            .destination = server, .destination_port = 443,
                                            .seq = 9, .ttl = 1});
  // At 15 ms: after our first hello (14 ms), before router 1's real answer (16 ms).
  for (const Bytes& q : {quoted_other, quoted_foreign, quoted_wrong_seq}) {
    IcmpTimeExceeded body;
    body.quoted.bytes = ByteView(q).first(28);
    Ipv4Header ip;
    ip.source = Ipv4Address(6, 6, 6, 6);
    ip.destination = kClient;
    net.inject(15ms, build_icmp_packet(ip, body));
  }
  // A time exceeded whose quote is cut inside the IPv4 header.
  IcmpTimeExceeded cut;
  cut.quoted.bytes = ByteView(quoted_other).first(10);
  Ipv4Header ip;
  ip.source = Ipv4Address(6, 6, 6, 6);
  ip.destination = kClient;
  net.inject(21ms, build_icmp_packet(ip, cut));
  // An echo reply (not an error).
  net.inject(22ms, build_icmp_packet(ip, IcmpEcho{true, 1, 1, {}}));

  LocalizerCounters counters;
  auto results = run(net, config(TraceMode::raw, {"10.9.9.1"}), &counters);
  BOOST_TEST_REQUIRE(results.size() == 1u);
  const TraceResult& r = results.front();
  BOOST_TEST(r.verdict == "injected-before-server");
  BOOST_TEST(r.hops_before_server == 2u);
  for (const auto& h : r.hops) BOOST_TEST(h.address != Ipv4Address(6, 6, 6, 6));
  BOOST_TEST(counters.packets_ignored - clean.packets_ignored == 11u);
}

BOOST_AUTO_TEST_CASE(socket_reports_about_unknown_connections_are_ignored) {
  FakePath net(kClient);
  net.hosts["10.9.9.1"] = path(1, 4, 3);
  auto localizer = Localizer::create(config(TraceMode::socket, {"10.9.9.1"}));
  BOOST_TEST_REQUIRE(localizer.ok());
  Localizer& l = **localizer;
  l.on_connected(0s, 99);
  l.on_bytes(0s, 98, as_bytes("hello"));
  l.on_icmp(0s, 97, IcmpReport{Ipv4Address(6, 6, 6, 6)});
  l.on_reset(0s, 96);
  l.on_packet(0s, Bytes(40, 0));  // raw input in socket mode
  BOOST_TEST(l.counters().reports_ignored == 4u);
  BOOST_TEST(l.counters().packets_ignored == 1u);
  Timestamp now = 0s;
  auto results = net.run(l, now);
  BOOST_TEST_REQUIRE(results.size() == 1u);
  BOOST_TEST(results[0].hops_before_server == 1u);
}

BOOST_DATA_TEST_CASE(same_inputs_same_json, kModes, mode) {
  auto once = [&] {
    FakePath net(kClient);
    net.hosts["10.9.9.1"] = path(1, 7, 5);
    net.hosts["10.9.9.2"] = path(2, 3);
    net.hosts["10.9.9.3"] = path(3, 5, 2);
    nlohmann::json all = nlohmann::json::array();
    for (const auto& r : run(net, config(mode, {"10.9.9.1", "10.9.9.2", "10.9.9.3"})))
      all.push_back(to_json(r));
    return all.dump();
  };
  std::string first = once();
  BOOST_TEST(first == once());
  BOOST_TEST(first.find("injected-before-server") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_configurations_are_refused) {
  auto c = config(TraceMode::raw, {"10.9.9.1"});
  c.hosts[0].address = "bank.kz";
  BOOST_TEST(!Localizer::create(c).ok());
  c = config(TraceMode::raw, {"10.9.9.1"});
  c.local_address = Ipv4Address{};
  BOOST_TEST(!Localizer::create(c).ok());
  c = config(TraceMode::socket, {"10.9.9.1"});
  c.first_ttl = 0;
  BOOST_TEST(!Localizer::create(c).ok());
  c = config(TraceMode::socket, {"10.9.9.1"});
  c.max_ttl = 300;
  BOOST_TEST(!Localizer::create(c).ok());
  c = config(TraceMode::raw, {"10.9.9.1"});
  c.queries = 0;
  auto no_queries = Localizer::create(c);
  BOOST_TEST_REQUIRE(!no_queries.ok());
  BOOST_TEST(no_queries.message().find("queries") != std::string::npos);
  c = config(TraceMode::socket, {"bank.kz"});  // socket mode leaves names to the transport
  BOOST_TEST(Localizer::create(c).ok());
  BOOST_TEST(parse_trace_mode("raw") == TraceMode::raw);
  BOOST_TEST(!parse_trace_mode("udp").has_value());
}

BOOST_AUTO_TEST_CASE(verdict_rules_as_a_table) {
  auto sweep = [](std::optional<unsigned> answer, std::string leaf) {
    TraceSweep s;
    s.answer_ttl = answer;
    s.leaf_sha256 = std::move(leaf);
    return s;
  };
  auto verdict = [&](std::optional<unsigned> n, std::string tl, std::optional<unsigned> m,
                     std::string cl) {
    TraceResult r;
    r.test = sweep(n, tl);
    r.control = sweep(m, cl);
    judge_trace(r);
    return r.verdict;
  };
  BOOST_TEST(verdict(3, "a", 5, "b") == "injected-before-server");
  BOOST_TEST(verdict(5, "a", 5, "b") == "at-server");
  BOOST_TEST(verdict(5, "", 5, "b") == "at-server");  // a RST against a certificate differs
  BOOST_TEST(verdict(5, "b", 5, "b") == "no-injection");
  BOOST_TEST(verdict(6, "a", 5, "b") == "no-injection");
  BOOST_TEST(verdict(std::nullopt, "", 5, "b") == "no-injection");
  BOOST_TEST(verdict(3, "a", std::nullopt, "") == "unreachable");

  // The hop before the injection: the test sweep's at n-1, else the control's there.
  TraceResult r;
  r.test = sweep(3, "a");
  r.control = sweep(5, "b");
  const Ipv4Address r2(10, 0, 0, 2), r2_seen_by_control(10, 0, 1, 2), r3(10, 0, 0, 3);
  r.test.hops = {{1, std::nullopt, false}, {2, r2, false}, {3, std::nullopt, true}};
  r.control.hops = {{1, std::nullopt, false}, {2, r2_seen_by_control, false}, {3, r3, false}};
  judge_trace(r);
  BOOST_TEST(r.hop_before == r2);
  BOOST_TEST(r.hop_after == r3);
  r.test.hops[1].address.reset();  // the test's time-exceeded at TTL 2 was lost
  judge_trace(r);
  BOOST_TEST(r.hop_before == r2_seen_by_control);
  r.control.hops[1].address.reset();
  judge_trace(r);
  BOOST_TEST(!r.hop_before.has_value());
}
