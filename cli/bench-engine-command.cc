// `mitmlab bench engine`: TLS handshakes per second through the Engine in the ns-3 chain
// (client ─ r1 ─ r2 ═[bump]═ r3 ─ r4 ─ server), hijacked vs passed through, and the
// engine's heap per flow. Wall clock (steady_clock) is used here only.
//
// Each phase builds a fresh world and a fresh Engine (the forger and its fake authority are
// shared, as between a carrier's boxes): one untimed warm-up flow (for the target: the origin
// check and the forgery, so the timed flows hit the verdict and forge caches), one untimed
// probe flow alone for the memory figure, then N timed flows, each a fresh connection with
// one GET of 1000 bytes, started 2 ms of simulated time apart. --rounds alternates the two
// phases (default 3) and prints each round's rate and the medians. Every flow must end with a
// verified handshake and a complete response, and the engine's counters must say that every
// flow of the phase was hijacked (target) or passed as "not_target" (other): otherwise the
// bench exits 1 — a bench that silently measures the wrong thing is worse than none.
//
// Memory (cli/heap-meter.h): the engine runs behind a wrapper that counts the C++ heap
// allocated inside its calls (operator new; a block counted there is subtracted wherever it
// is freed). "engine B/flow" is measured on the probe flow alone: the peak of the engine's
// live counted bytes over the probe's whole run (taken at every counted allocation, so what
// one call allocates and frees again, such as a held hello released at once, is in it),
// minus the live bytes just before the probe, minus what is still live once the probe has
// left the table (its event-log records: they stay for the run, they are not flow state).
// Counted: FlowState and its table node, HeldHello with its reassembler and held packets,
// HijackState with both TcpEndpoints' queues, the relay recorder and the plaintext buffers,
// packets the engine queued for sending until the bump frees them, and any transient
// capacity growth of the engine's containers during the flow. Not counted: OpenSSL's own
// allocations (SSL, BIO, X509, keys: malloc) and container capacity the warm-up flow
// already grew (bucket array, expiry heap): it is the marginal cost of one more flow.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <fmt/format.h>
#include <ns3/inet-socket-address.h>
#include <ns3/integer.h>
#include <ns3/simulator.h>
#include <ns3/string.h>
#include <ns3/uinteger.h>
#include <unistd.h>

#include "cli/bench-command.h"
#include "cli/bench-stats.h"
#include "cli/command.h"
#include "cli/heap-meter.h"
#include "interceptor/engine.h"
#include "interceptor/forge/fake-authority.h"
#include "interceptor/forge/forger.h"
#include "interceptor/forge/forging-profile.h"
#include "interceptor/hijack-state.h"
#include "interceptor/tls/origin-certificate-judge.h"
#include "sim/chain-topology.h"
#include "sim/lab-pki.h"
#include "sim/tls-app-helpers.h"
#include "sim/tls-client-app.h"
#include "sim/tls-server-app.h"

namespace mitmlab::cli {
namespace {

constexpr std::string_view kTarget = "facebook.com";
constexpr std::string_view kOther = "example.org";
// 2019-07-20T00:00:00Z: inside the fake intermediate's validity, where clients verify.
constexpr std::int64_t kVerifyAt = 1563580800;

struct Options {
  unsigned handshakes = 200;
  unsigned rounds = 3;
  unsigned seed = 1;
};

// The engine behind a meter: its heap is counted inside every call.
class MeteredEngine : public PacketProcessor {
 public:
  explicit MeteredEngine(std::shared_ptr<Engine> engine) : engine_(std::move(engine)) {}
  Disposition on_packet(Timestamp now, LinkSide from, ByteView ipv4) override {
    HeapMeterScope scope;
    return engine_->on_packet(now, from, ipv4);
  }
  std::optional<OutboundPacket> poll_transmit() override {
    HeapMeterScope scope;
    return engine_->poll_transmit();
  }
  std::optional<Timestamp> next_timeout() const override { return engine_->next_timeout(); }
  void on_timeout(Timestamp now) override {
    HeapMeterScope scope;
    engine_->on_timeout(now);
  }

 private:
  std::shared_ptr<Engine> engine_;
};

struct Shared {
  std::shared_ptr<const FakeAuthority> authority;
  std::shared_ptr<Forger> forger;
  X509StorePtr fake_trust;  // the fake root: what a Kazakh client that installed it trusts
};

struct PhaseResult {
  double handshakes_per_second = 0;
  std::int64_t bytes_per_flow = 0;
  EngineCounters counters;
};

[[noreturn]] void die(const std::string& why) {
  fmt::print(stderr, "mitmlab bench engine: {}\n", why);
  std::exit(1);
}

// `delay`: from now. An application added to a running simulation is initialised at once and
// its start time counts from then, not from time zero.
ns3::Ptr<TlsClientApp> add_client(const ChainTopology& topo, std::string_view sni, X509_STORE* trust,
                                  ns3::Time delay) {
  TlsClientHelper helper(ns3::InetSocketAddress(topo.ServerAddress(), 443), std::string(sni), trust);
  helper.SetAttribute("Path", ns3::StringValue("/bytes/1000"));
  helper.SetAttribute("VerifyTime", ns3::IntegerValue(kVerifyAt));
  ns3::ApplicationContainer apps = helper.Install(topo.Node(ChainTopology::kClient));
  apps.Start(delay);
  return ns3::DynamicCast<TlsClientApp>(apps.Get(0));
}

void require_complete(const ns3::Ptr<TlsClientApp>& client, std::string_view what) {
  const TlsClientResult& r = client->GetResult();
  if (!r.handshakeDone || r.verifyResult != 0 || !r.responseComplete)
    die(fmt::format("{} flow did not complete (connected {}, connect failed {}, handshake {}, verify {}, "
                    "response {}, error '{}')",
                    what, r.connected, r.connectFailed, r.handshakeDone, r.verifyResult, r.responseComplete, r.error));
}

// Runs the simulator for `span` more simulated time.
void run_for(ns3::Time span) {
  ns3::Simulator::Stop(span);
  ns3::Simulator::Run();
}

PhaseResult run_phase(const Options& opt, const Shared& shared, bool target, bool progress) {
  const std::string_view sni = target ? kTarget : kOther;
  const std::string_view what = target ? "hijack" : "passthrough";
  TestCa ca = make_test_ca("mitmlab Bench Root");
  EngineConfig cfg;
  cfg.targets = {std::string(kTarget)};
  EngineDependencies deps;
  deps.forger = shared.forger;
  Result<OriginCertificateJudge> judge = OriginCertificateJudge::from_roots({ca.cert.get()});
  if (!judge.ok()) die(judge.message());
  deps.judge = std::make_shared<const OriginCertificateJudge>(std::move(judge.value()));
  auto engine = std::make_shared<Engine>(cfg, deps);
  auto metered = std::make_shared<MeteredEngine>(engine);
  ChainTopology topo = BuildChainTopology(metered);

  // The server's certificate for both names is trusted by the world's CA, so a target is
  // hijacked (trusted origin) and the other name is passed for being no target.
  TlsServerHelper server(443, make_test_leaf(ca, {std::string(kOther)}, 100));
  server.AddCredentials(std::string(kTarget), make_test_leaf(ca, {std::string(kTarget)}, 101));
  server.Install(topo.Node(ChainTopology::kServer)).Start(ns3::Seconds(0));
  // A hijacked client sees the forged chain under the fake root; a passed one the real chain.
  X509StorePtr real_trust = make_trust_store(ca);
  X509_STORE* trust = target ? shared.fake_trust.get() : real_trust.get();

  // Warm-up, then the probe alone; each run lasts past the flow's close linger.
  const ns3::Time settle = ns3::Seconds(10);
  auto warm = add_client(topo, sni, trust, ns3::Seconds(1));
  run_for(ns3::Seconds(1) + settle);
  require_complete(warm, what);
  const std::int64_t before = heap_meter_reading().live_bytes;
  reset_heap_meter_peak();
  auto probe = add_client(topo, sni, trust, ns3::Seconds(0));
  run_for(settle);
  require_complete(probe, what);
  if (engine->flow_count() != 0) die("the probe flow is still in the table after the run");
  const std::int64_t retained = heap_meter_reading().live_bytes - before;
  const std::int64_t probe_bytes = heap_meter_reading().peak_live_bytes - before - retained;

  std::vector<ns3::Ptr<TlsClientApp>> clients;
  for (unsigned i = 0; i < opt.handshakes; ++i)
    clients.push_back(add_client(topo, sni, trust, ns3::MilliSeconds(2 * i)));
  if (progress) fmt::print(stderr, "\r{}: {} handshakes...", what, opt.handshakes);
  auto start = BenchClock::now();
  run_for(ns3::MilliSeconds(2 * opt.handshakes) + settle);
  const double ms = ms_since(start);
  if (progress) fmt::print(stderr, "\r\033[K");
  for (const auto& c : clients) require_complete(c, what);

  PhaseResult result;
  result.counters = engine->counters();
  const EngineCounters& c = result.counters;
  const std::uint64_t flows = opt.handshakes + 2;  // warm-up and probe included
  const bool right = target ? c.flows_hijacked == flows && c.flows_passthrough() == 0
                            : c.flows_hijacked == 0 && c.passthrough(PassReason::kNotTarget) == flows;
  if (c.flows_seen != flows || !right || c.client_alerts != 0 || c.client_tls_errors != 0)
    die(fmt::format("{}: the engine saw {} flows ({} hijacked, {} passed, {} not_target, {} alerts, {} TLS errors),"
                    " expected {} all {}",
                    what, c.flows_seen, c.flows_hijacked, c.flows_passthrough(), c.passthrough(PassReason::kNotTarget),
                    c.client_alerts, c.client_tls_errors, flows, target ? "hijacked" : "passed as not_target"));
  result.handshakes_per_second = opt.handshakes / (ms / 1000.0);
  result.bytes_per_flow = probe_bytes;
  ns3::Simulator::Destroy();
  return result;
}

std::vector<long> rounded(const std::vector<double>& v) {
  std::vector<long> out;
  for (double x : v) out.push_back(std::lround(x));
  return out;
}

int run(const Options& opt) {
  const bool progress = isatty(STDERR_FILENO) == 1;
  if (progress) fmt::print(stderr, "\rmaking the fake authority...");
  auto profile = find_profile("qaznet-2019");
  if (!profile.ok()) die(profile.message());
  Result<FakeAuthority> authority = FakeAuthority::create(*profile, opt.seed);
  if (!authority.ok()) die(authority.message());
  Shared shared;
  shared.authority = std::make_shared<const FakeAuthority>(std::move(authority.value()));
  shared.forger = std::make_shared<Forger>(shared.authority);
  shared.fake_trust.reset(X509_STORE_new());
  X509* fake_root = const_cast<X509*>(&shared.authority->root());  // X509_STORE_add_cert only takes a reference
  if (!shared.fake_trust || X509_STORE_add_cert(shared.fake_trust.get(), fake_root) != 1)
    die("cannot build the fake root's trust store");

  // Rounds alternate the two sides, so that load from other processes falls on both; the
  // rates printed are the medians over the rounds.
  PhaseResult hijack, pass;
  std::vector<double> hijack_rates, pass_rates;
  for (unsigned round = 0; round < opt.rounds; ++round) {
    hijack = run_phase(opt, shared, true, progress);
    pass = run_phase(opt, shared, false, progress);
    hijack_rates.push_back(hijack.handshakes_per_second);
    pass_rates.push_back(pass.handshakes_per_second);
  }
  hijack.handshakes_per_second = median(hijack_rates);
  pass.handshakes_per_second = median(pass_rates);

  fmt::print("mitmlab bench engine: {} handshakes each (fresh connection, GET 1000 bytes), chain client-r1-r2-"
             "[bump]-r3-r4-server, median of {} alternating rounds, wall clock (steady_clock)\n",
             opt.handshakes, opt.rounds);
  fmt::print("rounds, handshakes/s: intercepted {}, passthrough {}\n", fmt::join(rounded(hijack_rates), " "),
             fmt::join(rounded(pass_rates), " "));
  fmt::print("{:<42} {:>14} {:>16}\n", "", "handshakes/s", "engine B/flow");
  // Without the meter (an ASan build) there is no memory figure rather than a zero.
  auto bytes = [](const PhaseResult& r) {
    return heap_meter_available() ? std::to_string(r.bytes_per_flow) : std::string("n/a (ASan)");
  };
  fmt::print("{:<42} {:>14.1f} {:>16}\n", fmt::format("intercepted (SNI {}, hijacked)", kTarget),
             hijack.handshakes_per_second, bytes(hijack));
  fmt::print("{:<42} {:>14.1f} {:>16}\n", fmt::format("passthrough (SNI {})", kOther), pass.handshakes_per_second,
             bytes(pass));
  fmt::print("ratio intercepted / passthrough: {:.2f} (goal >= 0.5)\n",
             pass.handshakes_per_second > 0 ? hijack.handshakes_per_second / pass.handshakes_per_second : 0.0);
  fmt::print("engine B/flow: peak C++ heap of the engine during one flow alone, OpenSSL's malloc excluded;"
             " sizeof FlowState {} B, HijackState {} B\n",
             sizeof(FlowState), sizeof(HijackState));
  fmt::print("validated per round (last shown): {} of {} flows hijacked, {} of {} passed as not_target (warm-up and "
             "probe included)\n",
             hijack.counters.flows_hijacked, hijack.counters.flows_seen,
             pass.counters.passthrough(PassReason::kNotTarget), pass.counters.flows_seen);
  return 0;
}

void install(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<Options>();
  auto* cmd = bench_command(app).add_subcommand(
      "engine", "TLS handshakes per second through the Engine in ns-3: hijacked vs passed through, heap per flow");
  cmd->add_option("--handshakes", options->handshakes, "Timed handshakes per side")
      ->default_val(200)
      ->check(CLI::Range(1u, 100000u));
  cmd->add_option("--rounds", options->rounds, "Alternating rounds of both sides (rates: the median)")
      ->default_val(3)
      ->check(CLI::Range(1u, 100u));
  cmd->add_option("--seed", options->seed, "Seed of the fake authority's derived keys")->default_val(1);
  cmd->callback([options, &exit_code] { exit_code = run(*options); });
}

const bool registered = register_command(install);

}  // namespace
}  // namespace mitmlab::cli
