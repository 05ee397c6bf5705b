// `mitmlab bench sim`: what the simulation costs. TLS handshakes per wall-second through a
// scenario world (sim/world-builder.h) — vantage ─ r1 ─ r2 ─ r3 ═[bump]═ r4 ─ r5 ─ r6 ─ server
// site, the bump an Engine with no targets, so every flow is parsed and passed through —
// against the same handshakes done in memory with no network (cli/memory-handshake.h): the
// same server chain from the scenario PKI, the same client trust store and verify time, the
// same protocol version. The ratio simulated / in-memory is the figure to read: it is what the
// ns-3 network, TCP and the bump add to the cryptography. Then a generated world of --servers
// servers (server_groups): the time to read and build it, the peak resident memory (VmHWM,
// reset before the phase through /proc/self/clear_refs) and handshakes to a sample of its
// servers, each server's chain minted on first use.
//
// Wall clock (steady_clock) is used here only. Each phase-1 round builds a fresh world and
// times the simulated handshakes from installing the clients to the end of the run (world
// building excluded), then the in-memory ones; the rates printed are medians over --rounds.
// Every handshake must finish with a verified chain and the bump's engine must have seen
// every flow and passed it as not_target, or the bench exits 1.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <fmt/format.h>
#include <ns3/inet-socket-address.h>
#include <ns3/integer.h>
#include <ns3/simulator.h>
#include <time.h>
#include <unistd.h>

#include "cli/bench-command.h"
#include "cli/bench-stats.h"
#include "cli/command.h"
#include "cli/memory-handshake.h"
#include "sim/scenario.h"
#include "sim/server-pki.h"
#include "sim/tls-app-helpers.h"
#include "sim/tls-client-app.h"
#include "sim/world-builder.h"

namespace mitmlab::cli {
namespace {

struct Options {
  unsigned handshakes = 500;
  unsigned rounds = 3;
  unsigned servers = 10000;
  unsigned sample = 200;
  bool per_client_context = false;
};

// Clients start this many milliseconds apart in simulated time (a handshake takes about
// 20 ms: some 20 are in flight at once).
constexpr std::int64_t kStaggerMs = 1;
// Simulated seconds after the last start for every handshake and close to finish.
constexpr std::int64_t kSettleSeconds = 10;
constexpr std::string_view kServerName = "bench.example";

// This process's CPU time, ms: on a loaded machine the wall clock also counts other
// processes' turns, the CPU clock does not, so both are printed.
double cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

[[noreturn]] void die(const std::string& why) {
  fmt::print(stderr, "mitmlab bench sim: {}\n", why);
  std::exit(1);
}

// The six routers, the bump between r3 and r4, the vantage at r1; `servers` is the JSON of
// the "servers" and "server_groups" members (all attached to r6).
std::string scenario_json(std::string_view servers) {
  return fmt::format(R"({{
  "name": "bench-sim", "start": "2019-07-21T10:00:00Z", "seed": 1,
  "defaults": {{"link": {{"delay": "1ms", "rate": "1Gbps"}}, "uplink": {{"delay": "1ms", "rate": "1Gbps"}}}},
  "routers": [
    {{"name": "r1", "address": "10.255.0.1"}}, {{"name": "r2", "address": "10.255.0.2"}},
    {{"name": "r3", "address": "10.255.0.3"}}, {{"name": "r4", "address": "10.255.0.4"}},
    {{"name": "r5", "address": "10.255.0.5"}}, {{"name": "r6", "address": "10.255.0.6"}}],
  "links": [{{"a": "r1", "b": "r2"}}, {{"a": "r2", "b": "r3"}}, {{"a": "r3", "b": "r4"}},
            {{"a": "r4", "b": "r5"}}, {{"a": "r5", "b": "r6"}}],
  "bumps": [{{"name": "box", "link": ["r3", "r4"], "engine": {{"targets": []}}}}],
  "vantages": [{{"name": "client", "address": "198.51.100.10", "attach": "r1"}}],
  {}
}})",
                     servers);
}

Scenario parse(const std::string& json) {
  Result<Scenario> s = parse_scenario(json, "bench-sim");
  if (!s.ok()) die(s.message());
  return std::move(s.value());
}

// One process-wide figure from /proc/self/status, in KiB (0 if absent).
long status_kib(std::string_view field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':')
      return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
  return 0;
}

// Starts a new VmHWM from the current RSS (Linux: writing 5 to clear_refs).
bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

// The simulated world of one phase and the PKI that serves its chains.
struct Lab {
  Scenario scenario;
  std::optional<ServerPki> pki;
  X509StorePtr client_trust;
  std::unique_ptr<World> world;

  explicit Lab(Scenario s) : scenario(std::move(s)) {
    auto made = ServerPki::create(scenario);
    if (!made.ok()) die(made.message());
    pki.emplace(std::move(made.value()));
    client_trust = pki->client_trust_store();
    WorldOptions options;  // no engine dependencies: the bump's engine only decides
    options.credentials = [this](const ScenarioServer& server, std::string_view sni) -> TlsCredentialsPtr {
      auto credentials = pki->credentials_for(server);
      return credentials.ok() ? (*credentials)->for_sni(sni) : nullptr;
    };
    auto built = BuildWorld(scenario, options);
    if (!built.ok()) die(built.message());
    world = std::move(built.value());
  }
  ~Lab() {
    ns3::Simulator::Destroy();
    world.reset();
  }

  TlsCredentialsPtr credentials(const ScenarioServer& server) {
    auto c = pki->credentials_for(server);
    if (!c.ok()) die(c.message());
    return (*c)->for_sni(server.name);
  }
};

struct SimRun {
  double ms = 0, cpu = 0;
  EngineCounters counters;
};

// One handshake-only client per server in `targets`, started kStagger apart; runs them all
// and checks every one verified.
SimRun simulate(Lab& lab, const std::vector<const ScenarioServer*>& targets, std::string_view what,
               bool per_client_context) {
  const auto start = BenchClock::now();
  const double cpu_start = cpu_ms();
  // One client context for all, as the in-memory side has; or each its own, as runs do.
  SslCtxPtr shared = per_client_context ? nullptr : MakeTlsClientContext(lab.client_trust.get(), 0, lab.scenario.start);
  if (!per_client_context && !shared) die("cannot make the client context: " + drain_openssl_errors());
  std::vector<ns3::Ptr<TlsClientApp>> clients;
  clients.reserve(targets.size());
  ns3::Ptr<ns3::Node> vantage = lab.world->GetVantage("client");
  for (std::size_t i = 0; i < targets.size(); ++i) {
    TlsClientHelper helper(ns3::InetSocketAddress(ns3::Ipv4Address(targets[i]->address.value), targets[i]->port),
                           targets[i]->name, lab.client_trust.get());
    helper.SetAttribute("VerifyTime", ns3::IntegerValue(lab.scenario.start));
    ns3::ApplicationContainer apps = helper.Install(vantage);
    apps.Start(ns3::MilliSeconds(kStaggerMs * static_cast<std::int64_t>(i)));
    clients.push_back(ns3::DynamicCast<TlsClientApp>(apps.Get(0)));
    if (shared) clients.back()->SetSharedContext(shared.get());
  }
  ns3::Simulator::Stop(ns3::MilliSeconds(kStaggerMs * static_cast<std::int64_t>(targets.size())) +
                       ns3::Seconds(kSettleSeconds));
  ns3::Simulator::Run();
  SimRun run{ms_since(start), cpu_ms() - cpu_start, lab.world->GetBumps().at(0).engine->counters()};
  for (std::size_t i = 0; i < clients.size(); ++i) {
    const TlsClientResult& r = clients[i]->GetResult();
    if (!r.handshakeDone || r.verifyResult != 0)
      die(fmt::format("{}: the simulated handshake to {} did not verify (connected {}, handshake {}, verify {}, "
                      "error '{}')",
                      what, targets[i]->name, r.connected, r.handshakeDone, r.verifyResult, r.error));
  }
  const EngineCounters& c = run.counters;
  if (c.flows_seen != targets.size() || c.passthrough(PassReason::kNotTarget) != targets.size())
    die(fmt::format("{}: the bump saw {} flows, {} passed as not_target; expected {} of each", what, c.flows_seen,
                    c.passthrough(PassReason::kNotTarget), targets.size()));
  return run;
}

struct Timing {
  double ms = 0, cpu = 0;
};

Timing in_memory(const MemoryHandshaker& handshaker, const std::vector<TlsCredentialsPtr>& chains,
                 const std::vector<std::string>& names) {
  const auto start = BenchClock::now();
  const double cpu_start = cpu_ms();
  for (std::size_t i = 0; i < chains.size(); ++i) {
    MemoryHandshakeResult r = handshaker.handshake(*chains[i], names[i]);
    if (!r.done || r.verify_result != 0)
      die(fmt::format("the in-memory handshake to {} did not verify (done {}, verify {}, error '{}')", names[i],
                      r.done, r.verify_result, r.error));
  }
  return {ms_since(start), cpu_ms() - cpu_start};
}

std::vector<long> rounded(const std::vector<double>& v) {
  std::vector<long> out;
  for (double x : v) out.push_back(std::lround(x));
  return out;
}

struct ChainResult {
  std::vector<double> sim_rates, memory_rates;          // per wall-second
  std::vector<double> sim_cpu_rates, memory_cpu_rates;  // per CPU-second
  std::string version;
};

ChainResult phase_chain(const Options& opt, bool progress) {
  const std::string servers = fmt::format(
      R"("servers": [{{"name": "{}", "address": "203.0.113.10", "attach": "r6"}}])", kServerName);
  const Scenario scenario = parse(scenario_json(servers));
  ChainResult result;
  for (unsigned round = 0; round < opt.rounds; ++round) {
    if (progress) fmt::print(stderr, "\rround {}/{}: {} simulated handshakes...\033[K", round + 1, opt.rounds, opt.handshakes);
    SimRun sim;
    TlsCredentialsPtr chain;
    X509StorePtr trust;
    {
      Lab lab(scenario);
      const ScenarioServer* server = &lab.scenario.servers.at(0);
      sim = simulate(lab, std::vector<const ScenarioServer*>(opt.handshakes, server), "chain", opt.per_client_context);
      chain = lab.credentials(*server);
      trust = lab.pki->client_trust_store();
    }
    if (progress) fmt::print(stderr, "\rround {}/{}: {} in-memory handshakes...\033[K", round + 1, opt.rounds, opt.handshakes);
    auto handshaker = MemoryHandshaker::create(trust.get(), scenario.start);
    if (!handshaker.ok()) die(handshaker.message());
    if (result.version.empty()) result.version = handshaker->handshake(*chain, std::string(kServerName)).version;
    const Timing memory = in_memory(*handshaker, std::vector<TlsCredentialsPtr>(opt.handshakes, chain),
                                       std::vector<std::string>(opt.handshakes, std::string(kServerName)));
    result.sim_rates.push_back(opt.handshakes / (sim.ms / 1000.0));
    result.memory_rates.push_back(opt.handshakes / (memory.ms / 1000.0));
    result.sim_cpu_rates.push_back(opt.handshakes / (sim.cpu / 1000.0));
    result.memory_cpu_rates.push_back(opt.handshakes / (memory.cpu / 1000.0));
  }
  if (progress) fmt::print(stderr, "\r\033[K");
  return result;
}

struct WorldResult {
  double read_ms = 0, build_ms = 0, sim_ms = 0, memory_ms = 0;
  long rss_before_kib = 0, hwm_built_kib = 0, hwm_end_kib = 0;
  bool peak_reset = false;
  std::size_t sample = 0, sites = 0, nodes = 0;
};

// Groups of at most 1000 servers, each its own /22 (1016 usable addresses) from 20.0.0.0.
std::string generated_servers(unsigned count) {
  std::vector<std::string> groups;
  for (unsigned g = 0, left = count; left > 0; ++g) {
    const unsigned n = std::min(left, 1000u);
    groups.push_back(fmt::format(R"({{"name": "g{}", "count": {}, "attach": "r6", "prefix": "20.{}.{}.0/22"}})", g,
                                 n, (g * 4) / 256, (g * 4) % 256));
    left -= n;
  }
  return fmt::format(R"("server_groups": [{}])", fmt::join(groups, ", "));
}

WorldResult phase_world(const Options& opt, bool progress) {
  WorldResult result;
  result.rss_before_kib = status_kib("VmRSS");
  result.peak_reset = reset_peak_rss();
  if (progress) fmt::print(stderr, "\rbuilding a world of {} servers...\033[K", opt.servers);
  auto start = BenchClock::now();
  const Scenario scenario = parse(scenario_json(generated_servers(opt.servers)));
  result.read_ms = ms_since(start);
  start = BenchClock::now();
  Lab lab(scenario);
  result.build_ms = ms_since(start);
  result.hwm_built_kib = status_kib("VmHWM");
  result.sites = lab.world->GetSites().size();
  result.nodes = lab.world->GetNodes().size();

  // Every k-th server, so the sample spans every group.
  const std::vector<ScenarioServer>& all = lab.scenario.servers;
  const std::size_t n = std::min<std::size_t>(opt.sample, all.size());
  std::vector<const ScenarioServer*> sample;
  for (std::size_t i = 0; i < n; ++i) sample.push_back(&all[i * all.size() / n]);
  result.sample = n;
  if (progress) fmt::print(stderr, "\r{} handshakes to a sample of the {} servers...\033[K", n, opt.servers);
  result.sim_ms = simulate(lab, sample, "world", opt.per_client_context).ms;
  result.hwm_end_kib = status_kib("VmHWM");

  // The same sample in memory, with the chains the simulation minted.
  std::vector<TlsCredentialsPtr> chains;
  std::vector<std::string> names;
  for (const ScenarioServer* s : sample) {
    chains.push_back(lab.credentials(*s));
    names.push_back(s->name);
  }
  X509StorePtr trust = lab.pki->client_trust_store();
  auto handshaker = MemoryHandshaker::create(trust.get(), scenario.start);
  if (!handshaker.ok()) die(handshaker.message());
  result.memory_ms = in_memory(*handshaker, chains, names).ms;
  if (progress) fmt::print(stderr, "\r\033[K");
  return result;
}

int run(const Options& opt) {
  const bool progress = isatty(STDERR_FILENO) == 1;
  const ChainResult chain = phase_chain(opt, progress);
  const double sim = median(chain.sim_rates), memory = median(chain.memory_rates);
  const WorldResult world = phase_world(opt, progress);

  fmt::print("mitmlab bench sim: {} fresh handshakes (handshake only, {}, EC P-256 server chain) per side, median of "
             "{} alternating rounds, wall clock (steady_clock)\n",
             opt.handshakes, chain.version, opt.rounds);
  fmt::print("simulated: vantage-r1-r2-r3-[bump: engine, no targets]-r4-r5-r6-site, 1 ms links, clients {} ms apart, "
             "{}\n",
             kStaggerMs, opt.per_client_context ? "an SSL_CTX per client" : "one client SSL_CTX shared");
  fmt::print("rounds, handshakes/s: simulated {}, in memory {}\n", fmt::join(rounded(chain.sim_rates), " "),
             fmt::join(rounded(chain.memory_rates), " "));
  const double sim_cpu = median(chain.sim_cpu_rates), memory_cpu = median(chain.memory_cpu_rates);
  fmt::print("{:<44} {:>14} {:>16}\n", "", "handshakes/s", "per CPU-second");
  fmt::print("{:<44} {:>14.1f} {:>16.1f}\n", "simulated (6 routers, passthrough bump)", sim, sim_cpu);
  fmt::print("{:<44} {:>14.1f} {:>16.1f}\n", "in memory (memory BIOs, no network)", memory, memory_cpu);
  fmt::print("ratio simulated / in memory: {:.2f} (goal >= 0.5); by CPU time {:.2f}\n", memory > 0 ? sim / memory : 0.0,
             memory_cpu > 0 ? sim_cpu / memory_cpu : 0.0);
  fmt::print("generated world: {} servers in {} sites, {} named nodes; read {:.0f} ms, built {:.0f} ms\n", opt.servers,
             world.sites, world.nodes, world.read_ms, world.build_ms);
  fmt::print("peak RSS (VmHWM{}): {:.1f} MiB after building, {:.1f} MiB after the sample (RSS before the phase {:.1f} "
             "MiB; goal < 2048 MiB)\n",
             world.peak_reset ? ", reset before the phase" : ", whole process: clear_refs refused", world.hwm_built_kib / 1024.0,
             world.hwm_end_kib / 1024.0, world.rss_before_kib / 1024.0);
  fmt::print("sample: {} handshakes to distinct servers (chains minted on first use): simulated {:.1f}/s, in memory "
             "{:.1f}/s (chains already minted)\n",
             world.sample, world.sample / (world.sim_ms / 1000.0), world.sample / (world.memory_ms / 1000.0));
  return 0;
}

void install(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<Options>();
  auto* cmd = bench_command(app).add_subcommand(
      "sim", "TLS handshakes per second through a simulated 6-router world against in memory; memory of a big world");
  cmd->add_option("--handshakes", options->handshakes, "Timed handshakes per side and round")
      ->default_val(500)
      ->check(CLI::Range(1u, 1000000u));
  cmd->add_option("--rounds", options->rounds, "Alternating rounds of both sides (rates: the median)")
      ->default_val(3)
      ->check(CLI::Range(1u, 100u));
  cmd->add_option("--servers", options->servers, "Servers of the generated world")
      ->default_val(10000)
      ->check(CLI::Range(1u, 1000000u));
  cmd->add_option("--sample", options->sample, "Handshakes to distinct servers of the generated world")
      ->default_val(200)
      ->check(CLI::Range(1u, 100000u));
  cmd->add_flag("--per-client-context", options->per_client_context,
                "Each simulated client makes its own SSL_CTX, as mitmlab run's clients do (default: one shared)");
  cmd->callback([options, &exit_code] { exit_code = run(*options); });
}

const bool registered = register_command(install);

}  // namespace
}  // namespace mitmlab::cli
