// The TTL localizer on a real (namespaced) network: client -- router1 -- router2 -- server
// (tests/support/netns-topology.h), a TLS server in the server namespace. Socket mode runs
// in-process on a thread inside the client namespace; raw mode and the command run the
// mitmlab binary there (`ip netns exec`). Needs root: skipped with a message otherwise.
// Nothing waits on a fixed sleep; the localizer's own per-TTL waits pace the sweeps.
#define BOOST_TEST_MODULE live_trace
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "net/tcp-segment.h"
#include "scanner/live/socket-trace-transport.h"
#include "scanner/localizer.h"
#include "tests/support/loopback-tls-server.h"
#include "tests/support/netns-topology.h"
#include "tests/support/run-mitmlab.h"
#include "tests/support/throwaway-pki.h"

using namespace mitmlab;
using namespace mitmlab::test;
namespace fs = std::filesystem;

namespace {

constexpr auto kR1 = NetnsTopology::kRouter1;
constexpr auto kR2 = NetnsTopology::kRouter2;
constexpr auto kServer = NetnsTopology::kServer;

// One topology and one TLS server on kServer:443 for the whole module.
struct World {
  std::string skip = NetnsTopology::skip_reason();
  std::unique_ptr<NetnsTopology> net;
  ThrowawayChain chain = make_throwaway_chain("bank.kz", "Bank");
  std::unique_ptr<LoopbackTlsServer> server;
  World() {
    if (!skip.empty()) {
      std::cerr << "live_trace: tests that need network namespaces are skipped: " << skip << "\n";
      return;
    }
    // Some roots (a chroot, a container) can add namespaces but not run in them: skip there
    // with the reason rather than fail every case.
    try {
      net = std::make_unique<NetnsTopology>();
      auto contexts = std::make_shared<const SniTestServerContexts>(SniTestServerOptions{
          {chain.leaf.cert.get(), chain.leaf.key.get(), {chain.intermediate.cert.get()}}, {}});
      server =
          std::make_unique<LoopbackTlsServer>(contexts, net->listen_in(net->server, kServer, 443));
    } catch (const std::exception& e) {
      server.reset();
      net.reset();
      skip = std::string("the namespace topology could not be built here: ") + e.what();
      std::cerr << "live_trace: tests that need network namespaces are skipped: " << skip << "\n";
    }
  }
};
World& world() {
  static World w;
  return w;
}

// A test precondition: the test is skipped, with the reason, when the topology cannot be
// built here (not root).
boost::test_tools::assertion_result netns(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result ok(world().skip.empty());
  ok.message() << world().skip;
  return ok;
}

LocalizerConfig socket_config(std::vector<ScanHost> hosts) {
  LocalizerConfig c;
  c.hosts = std::move(hosts);
  c.test_sni = "www.facebook.com";
  c.mode = TraceMode::socket;
  c.max_ttl = 6;
  c.connect_timeout = std::chrono::seconds(2);
  return c;
}

struct SocketRun {
  std::vector<TraceResult> results;
  LiveTraceStats stats;
};

// Runs a socket-mode localizer inside the client namespace.
SocketRun run_socket_mode(LocalizerConfig config) {
  auto localizer = Localizer::create(std::move(config));
  BOOST_TEST_REQUIRE(localizer.ok(), (localizer.ok() ? "" : localizer.message()));
  SocketRun run;
  LiveTraceOptions live;
  live.on_result = [&](const TraceResult& r) { run.results.push_back(r); };
  std::optional<Result<LiveTraceStats>> stats;
  world().net->run_in(world().net->client,
                      [&] { stats.emplace(run_socket_trace(**localizer, live)); });
  BOOST_TEST_REQUIRE(stats->ok(), (stats->ok() ? "" : stats->message()));
  run.stats = **stats;
  return run;
}

std::vector<std::optional<Ipv4Address>> addresses(const std::vector<TraceHop>& hops) {
  std::vector<std::optional<Ipv4Address>> out;
  for (const TraceHop& h : hops) out.push_back(h.address);
  return out;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mitmlab-live-trace-XXXXXX").string();
    BOOST_TEST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { fs::remove_all(path); }
};

std::vector<nlohmann::json> json_lines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

std::string in_client() { return "ip netns exec " + world().net->client; }

// A bump in the wire at router2, ahead of its TTL check: every TCP segment to the server
// that carries `needle` (the test SNI) is answered with a segment spoofed from the server,
// holding a TLS alert, at the sequence numbers the client expects. Router2 still forwards
// or expires the original, as the 2019 box let the routers be. AF_PACKET sees packets
// arriving at router2 before routing; a raw socket there sends the answer.
class SniInjector {
 public:
  explicit SniInjector(std::string needle) : needle_(std::move(needle)) {
    world().net->run_in(world().net->router2, [&] {
      packet_fd_ = ::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
      raw_fd_ = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    });
    BOOST_TEST_REQUIRE(packet_fd_ >= 0);
    BOOST_TEST_REQUIRE(raw_fd_ >= 0);
    BOOST_TEST_REQUIRE(::pipe2(stop_, O_CLOEXEC) == 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~SniInjector() {
    (void)!::write(stop_[1], "x", 1);
    thread_.join();
    for (int fd : {packet_fd_, raw_fd_, stop_[0], stop_[1]}) ::close(fd);
  }
  std::size_t injected() const { return injected_.load(); }

 private:
  void serve() {
    std::array<std::uint8_t, 65536> buf;
    for (;;) {
      pollfd fds[] = {{stop_[0], POLLIN, 0}, {packet_fd_, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 || fds[0].revents) return;
      sockaddr_ll from{};
      socklen_t len = sizeof from;
      ssize_t n = ::recvfrom(packet_fd_, buf.data(), buf.size(), 0,
                             reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING) continue;
      auto packet = parse_tcp_packet(ByteView(buf.data(), static_cast<std::size_t>(n)));
      if (!packet || packet->ip.header.destination != kServer) continue;
      const TcpSegment& seg = packet->tcp;
      std::string payload(seg.payload.begin(), seg.payload.end());
      if (payload.find(needle_) == std::string::npos) continue;
      static const std::uint8_t alert[] = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28};
      Bytes answer =
          build_tcp_packet({.source = kServer,
                            .source_port = seg.header.destination_port,
                            .destination = packet->ip.header.source,
                            .destination_port = seg.header.source_port,
                            .seq = seg.header.ack,
                            .ack = seg.header.seq + static_cast<std::uint32_t>(seg.payload.size()),
                            .flags = tcp_flag::kPsh | tcp_flag::kAck,
                            .window = 65535,
                            .payload = ByteView(alert, sizeof alert)});
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_addr.s_addr = htonl(packet->ip.header.source.value);
      if (::sendto(raw_fd_, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&to),
                   sizeof to) > 0)
        ++injected_;
    }
  }

  std::string needle_;
  int packet_fd_ = -1, raw_fd_ = -1;
  int stop_[2] = {-1, -1};
  std::atomic<std::size_t> injected_{0};
  std::thread thread_;
};

}  // namespace

BOOST_AUTO_TEST_CASE(socket_mode_finds_the_two_routers_and_the_server,
                     *boost::unit_test::precondition(netns)) {
  auto run = run_socket_mode(socket_config({{kServer.to_string(), 443}}));
  BOOST_TEST_REQUIRE(run.stats.icmp_unavailable.empty(), run.stats.icmp_unavailable);
  BOOST_TEST_REQUIRE(run.results.size() == 1u);
  const TraceResult& r = run.results[0];
  BOOST_TEST(r.verdict == "no-injection");
  BOOST_TEST((r.server_ttl == std::optional<unsigned>(3)));
  BOOST_TEST((r.injection_ttl == std::optional<unsigned>(3)));
  for (const TraceSweep* s : {&r.test, &r.control}) {
    BOOST_TEST_REQUIRE(s->hops.size() >= 2u);
    BOOST_TEST((s->hops[0].address == std::optional(kR1)));
    BOOST_TEST((s->hops[1].address == std::optional(kR2)));
    BOOST_TEST((s->answer_ttl == std::optional<unsigned>(3)));
    BOOST_TEST(s->leaf_sha256 == to_hex(x509_sha256(world().chain.leaf.cert.get())));
  }
  BOOST_TEST_REQUIRE(r.hops.size() == 3u);
  BOOST_TEST((addresses(r.hops)[0] == std::optional(kR1)));
  BOOST_TEST((addresses(r.hops)[1] == std::optional(kR2)));
  BOOST_TEST(r.hops[2].answered);
  BOOST_TEST(run.stats.icmp_errors >= 4u);  // two routers, two sweeps
}

BOOST_AUTO_TEST_CASE(socket_mode_no_listener_and_no_host, *boost::unit_test::precondition(netns)) {
  auto run = run_socket_mode(socket_config({{kServer.to_string(), 444},  // refused
                                            {NetnsTopology::kSilent.to_string(), 443},
                                            {NetnsTopology::kUnreachable.to_string(), 443}}));
  BOOST_TEST_REQUIRE(run.results.size() == 3u);
  for (const TraceResult& r : run.results) {
    BOOST_TEST_CONTEXT(to_json(r).dump()) {
      BOOST_TEST(r.verdict == "unreachable");
      BOOST_TEST(!r.server_ttl);
      BOOST_TEST(!r.control.error.empty());
    }
  }
  // router2's host unreachable arrived while connecting: read from the error queue.
  BOOST_TEST(run.stats.icmp_errors >= 1u);
}

BOOST_AUTO_TEST_CASE(trace_command_socket_mode_prints_a_traceroute,
                     *boost::unit_test::precondition(netns)) {
  TempDir dir;
  auto out = dir.path / "trace.jsonl";
  auto run = run_mitmlab(
      fmt::format("trace --target {}:443 --sni www.facebook.com --mode socket --max-ttl 6 "
                  "--out {}",
                  kServer.to_string(), out.string()),
      Stderr::kMerge, in_client());
  BOOST_TEST_REQUIRE(run.status == 0, run.output);
  BOOST_TEST(run.output.find("  1  10.250.0.2\n") != std::string::npos, run.output);
  BOOST_TEST(run.output.find("  2  10.250.0.6\n") != std::string::npos, run.output);
  BOOST_TEST(run.output.find("  3  10.250.0.10  server") != std::string::npos, run.output);
  BOOST_TEST(run.output.find("verdict: no-injection") != std::string::npos, run.output);
  auto lines = json_lines(out);
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  BOOST_TEST(lines[0]["server_ttl"] == 3);
  BOOST_TEST(lines[0]["verdict"] == "no-injection");
  BOOST_TEST(lines[0]["mode"] == "socket");
}

BOOST_AUTO_TEST_CASE(trace_command_socket_mode_without_cap_net_raw_still_finds_the_server,
                     *boost::unit_test::precondition(netns)) {
  if (std::system("setpriv --version >/dev/null 2>&1") != 0) {
    std::cerr << "live_trace: skipped: needs setpriv\n";
    return;
  }
  TempDir dir;
  auto out = dir.path / "trace.jsonl";
  auto run = run_mitmlab(
      fmt::format("trace --target {} --sni www.facebook.com --mode socket --max-ttl 4 --out {}",
                  kServer.to_string(), out.string()),
      Stderr::kMerge, in_client() + " setpriv --bounding-set -net_raw");
  BOOST_TEST_REQUIRE(run.status == 0, run.output);
  BOOST_TEST(run.output.find("CAP_NET_RAW") != std::string::npos, run.output);
  auto lines = json_lines(out);
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  BOOST_TEST(lines[0]["server_ttl"] == 3);
}

BOOST_AUTO_TEST_CASE(trace_command_raw_mode_with_managed_firewall,
                     *boost::unit_test::precondition(netns)) {
  TempDir dir;
  auto out = dir.path / "trace.jsonl";
  auto run =
      run_mitmlab(fmt::format("trace --target {} --target {}:444 --sni www.facebook.com --mode raw "
                              "--max-ttl 6 --timeout 2 --manage-firewall --out {}",
                              kServer.to_string(), kServer.to_string(), out.string()),
                  Stderr::kMerge, in_client());
  BOOST_TEST_REQUIRE(run.status == 0, run.output);
  auto lines = json_lines(out);
  BOOST_TEST_REQUIRE(lines.size() == 2u, run.output);
  for (const auto& j : lines) {
    BOOST_TEST_CONTEXT(j.dump()) {
      BOOST_TEST(j["mode"] == "raw");
      if (j["port"] == 444) {
        BOOST_TEST(j["verdict"] == "unreachable");  // the server's kernel resets the SYN
        continue;
      }
      BOOST_TEST(j["verdict"] == "no-injection");
      BOOST_TEST(j["server_ttl"] == 3);
      BOOST_TEST(j["injection_ttl"] == 3);
      BOOST_TEST_REQUIRE(j["hops"].size() >= 2u);
      BOOST_TEST(j["hops"][0]["address"] == "10.250.0.2");
      BOOST_TEST(j["hops"][1]["address"] == "10.250.0.6");
    }
  }
  // The rule is gone once the command has exited.
  BOOST_TEST(world().net->exec(world().net->client, "nft list ruleset | grep -q mitmlab") != 0);
}

// Socket mode: router2's kernel expires the TTL-2 hello and its time-exceeded usually comes
// back before the user-space injector's answer; the sweep keeps that connection open for the
// whole per-TTL wait after the ICMP, so the injected answer still counts at TTL 2.
BOOST_AUTO_TEST_CASE(socket_mode_locates_an_injector_between_the_routers,
                     *boost::unit_test::precondition(netns)) {
  SniInjector injector("www.facebook.com");
  auto run = run_socket_mode(socket_config({{kServer.to_string(), 443}}));
  BOOST_TEST_REQUIRE(run.stats.icmp_unavailable.empty(), run.stats.icmp_unavailable);
  BOOST_TEST(injector.injected() >= 1u);
  BOOST_TEST_REQUIRE(run.results.size() == 1u);
  const TraceResult& r = run.results[0];
  BOOST_TEST_CONTEXT(to_json(r).dump()) {
    BOOST_TEST(r.verdict == "injected-before-server");
    BOOST_TEST((r.injection_ttl == std::optional<unsigned>(2)));
    BOOST_TEST((r.server_ttl == std::optional<unsigned>(3)));
    BOOST_TEST((r.hops_before_server == std::optional<unsigned>(1)));
    BOOST_TEST((r.hop_before == std::optional(kR1)));
    BOOST_TEST((r.hop_after == std::optional(kR2)));
    BOOST_TEST(r.test.leaf_sha256 == "");  // the injector's answer is an alert
    BOOST_TEST(r.control.leaf_sha256 == to_hex(x509_sha256(world().chain.leaf.cert.get())));
  }
}

// Raw mode: its sweep, too, listens for the whole per-TTL wait after a hop's ICMP, so the
// injected answer at TTL 2 counts although router2's time-exceeded comes first.
BOOST_AUTO_TEST_CASE(trace_command_raw_mode_locates_an_injector_between_the_routers,
                     *boost::unit_test::precondition(netns)) {
  SniInjector injector("www.facebook.com");
  TempDir dir;
  auto out = dir.path / "trace.jsonl";
  auto run = run_mitmlab(fmt::format("trace --target {} --sni www.facebook.com --mode raw "
                                     "--max-ttl 6 --manage-firewall --out {}",
                                     kServer.to_string(), out.string()),
                         Stderr::kMerge, in_client());
  BOOST_TEST_REQUIRE(run.status == 0, run.output);
  BOOST_TEST(injector.injected() >= 1u);
  auto lines = json_lines(out);
  BOOST_TEST_REQUIRE(lines.size() == 1u, run.output);
  const auto& j = lines[0];
  BOOST_TEST_CONTEXT(j.dump()) {
    BOOST_TEST(j["verdict"] == "injected-before-server");
    BOOST_TEST(j["injection_ttl"] == 2);
    BOOST_TEST(j["server_ttl"] == 3);
    BOOST_TEST(j["hops_before_server"] == 1);
    BOOST_TEST(j["hop_before"] == "10.250.0.2");
    BOOST_TEST(j["hop_after"] == "10.250.0.6");
  }
  BOOST_TEST(run.output.find("  1  10.250.0.2\n  -- injection between hop 1 and hop 2 --\n  2  "
                             "10.250.0.6") != std::string::npos,
             run.output);
}

BOOST_AUTO_TEST_CASE(trace_command_errors_are_clear) {
  auto run = run_mitmlab("trace --target bank.kz --sni www.facebook.com --mode socket");
  BOOST_TEST(run.status == 2);
  BOOST_TEST(run.output.find("bank.kz") != std::string::npos, run.output);
  run = run_mitmlab("trace --target ::1 --sni www.facebook.com --mode socket");
  BOOST_TEST(run.status == 2);
  BOOST_TEST(run.output.find("IPv4") != std::string::npos, run.output);
  run = run_mitmlab("trace --sni www.facebook.com");
  BOOST_TEST(run.status == 2);
  BOOST_TEST(run.output.find("--target") != std::string::npos, run.output);
}

BOOST_AUTO_TEST_CASE(raw_mode_without_cap_net_raw_says_so, *boost::unit_test::precondition(netns)) {
  if (std::system("setpriv --version >/dev/null 2>&1") != 0) {
    std::cerr << "live_trace: raw_mode_without_cap_net_raw_says_so skipped: needs setpriv\n";
    return;
  }
  auto run = run_mitmlab(
      fmt::format("trace --target {} --sni www.facebook.com --mode raw", kServer.to_string()),
      Stderr::kMerge, in_client() + " setpriv --bounding-set -net_raw");
  BOOST_TEST(run.status == 1);
  BOOST_TEST(run.output.find("CAP_NET_RAW") != std::string::npos, run.output);
}
