// `mitmlab trace (--target ADDR[:PORT])... | --targets FILE --sni NAME [--control-sni NAME|none]
//  [--mode raw|socket] [--max-ttl N] [--rtt-multiplier X] [--concurrency N] [--timeout S]
//  [--out FILE] [--manage-firewall]`
// The TTL localizer on the live network (scanner/localizer.h, facts.md §6-7): per host a
// sweep with the test SNI and one with the control, the TTL at which each drew an answer
// and the routers on the way. One JSON object per host (JSON Lines) to --out or stdout;
// with a single target also a traceroute for people (to stdout when --out is given, else
// stderr). A progress line goes to stderr only when stderr is a terminal.
// raw mode (the authors' method, the default) needs CAP_NET_RAW, and the kernel's RSTs
// kept from the hosts: --manage-firewall adds an nftables/iptables rule for the run and
// removes it at exit (also on error and SIGINT). socket mode needs no privilege, but reads
// the routers' addresses from a raw ICMP socket (CAP_NET_RAW) once connected.
#include <fmt/core.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "scanner/live/raw-trace-transport.h"
#include "scanner/live/rst-firewall.h"
#include "scanner/live/socket-trace-transport.h"
#include "scanner/live/target-list.h"
#include "scanner/localizer.h"

namespace mitmlab::cli {
namespace {

struct Options {
  std::vector<std::string> targets;
  std::string targets_file;
  std::string sni;
  std::string control_sni = "none";
  std::string mode = "raw";
  unsigned max_ttl = 32;
  double rtt_multiplier = 2.5;
  unsigned queries = 3;
  std::size_t concurrency = 10;
  double timeout_s = 10;
  std::string out;
  bool manage_firewall = false;
};

std::atomic<bool> interrupted{false};

void on_signal(int) { interrupted = true; }

// SIGINT and SIGTERM end the run through the loop (so the firewall rule is removed);
// without SA_RESTART, epoll_wait returns at once.
void catch_signals() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

std::string sni_label(const std::string& sni) { return sni.empty() ? "no SNI" : "SNI " + sni; }

// The traceroute of one host: "  4  92.47.151.210" per TTL, the injection marked between
// the last hop before it and the first hop at which the test SNI was answered.
std::string traceroute(const TraceResult& r) {
  std::string text =
      fmt::format("trace to {}:{} ({} mode): test {}, control {}\n", r.host.address, r.host.port,
                  trace_mode_name(r.mode), sni_label(r.test.sni), sni_label(r.control.sni));
  const bool injected = r.verdict == "injected-before-server" && r.injection_ttl;
  for (const TraceHop& hop : r.hops) {
    if (injected && hop.ttl == *r.injection_ttl)
      text += fmt::format("  -- injection between hop {} and hop {} --\n", hop.ttl - 1, hop.ttl);
    std::string where = hop.address ? hop.address->to_string() : "*";
    if (hop.answered && !hop.address) where = r.host.address;
    std::string note;
    if (r.server_ttl && hop.ttl == *r.server_ttl) note = "  server";
    if (r.injection_ttl && hop.ttl == *r.injection_ttl && r.injection_ttl != r.server_ttl)
      note = "  (test SNI answered here)";
    text += fmt::format("{:3}  {}{}\n", hop.ttl, where, note);
  }
  text += "verdict: " + r.verdict;
  if (r.server_ttl) text += fmt::format("; control answered at TTL {}", *r.server_ttl);
  if (r.injection_ttl) text += fmt::format(", test SNI at TTL {}", *r.injection_ttl);
  if (r.hops_before_server)
    text += fmt::format(" ({} hops before the server)", *r.hops_before_server);
  for (const TraceSweep* s : {&r.test, &r.control})
    if (!s->error.empty()) text += fmt::format("\n  {} sweep: {}", sni_label(s->sni), s->error);
  return text + "\n";
}

Result<std::vector<ScanHost>> read_targets(const Options& o) {
  std::string text;
  if (!o.targets_file.empty()) {
    std::ifstream in(o.targets_file, std::ios::binary);
    if (!in) return make_error("targets file '{}': cannot open", o.targets_file);
    std::ostringstream all;
    all << in.rdbuf();
    text = all.str() + "\n";
  }
  for (const auto& t : o.targets) text += t + "\n";
  auto hosts = parse_target_list(text, 443);
  if (!hosts) {
    if (o.targets_file.empty()) return make_error("--target: {}", hosts.message());
    return make_error("targets: {}", hosts.message());
  }
  for (const ScanHost& h : *hosts)
    if (!Ipv4Address::parse(h.address))
      return make_error("target '{}': the localizer traces IPv4 addresses only", h.address);
  return hosts;
}

int run(const Options& o) {
  auto fail = [](const std::string& message, int code = 2) {
    fmt::print(stderr, "mitmlab trace: {}\n", message);
    return code;
  };
  if (o.targets.empty() && o.targets_file.empty()) return fail("give --target or --targets");
  auto hosts = read_targets(o);
  if (!hosts) return fail(hosts.message());
  auto mode = parse_trace_mode(o.mode);
  if (!mode) return fail(fmt::format("--mode '{}': raw or socket", o.mode));
  if (o.max_ttl < 1 || o.max_ttl > 255) return fail("--max-ttl: 1 to 255");
  if (!(o.rtt_multiplier > 0)) return fail("--rtt-multiplier must be positive");
  if (o.queries < 1 || o.queries > 10) return fail("--queries: 1 to 10");
  if (!(o.timeout_s > 0)) return fail("--timeout must be positive");
  if (o.concurrency < 1) return fail("--concurrency must be at least 1");

  LocalizerConfig config;
  config.hosts = *hosts;
  config.test_sni = o.sni;
  config.control_sni = o.control_sni == "none" ? "" : o.control_sni;
  config.mode = *mode;
  config.max_ttl = o.max_ttl;
  config.rtt_multiplier = o.rtt_multiplier;
  config.queries = o.queries;
  config.concurrency = o.concurrency;
  config.connect_timeout =
      std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.timeout_s));
  std::unique_ptr<RstFirewall> firewall;
  if (*mode == TraceMode::raw) {
    for (const ScanHost& h : *hosts) {
      auto local = local_address_for(*Ipv4Address::parse(h.address));
      if (!local) return fail(fmt::format("target {}: {}", h.address, local.message()), 1);
      if (h.address == hosts->front().address) config.local_address = *local;
      if (*local != config.local_address)
        return fail(
            fmt::format("targets leave from different local addresses ({} and {}): "
                        "trace them in separate runs",
                        config.local_address.to_string(), local->to_string()));
    }
    config.first_source_port = first_port_above_ephemeral();
  }
  auto localizer = Localizer::create(std::move(config));
  if (!localizer) return fail(localizer.message());

  std::ofstream file;
  if (!o.out.empty()) {
    file.open(o.out, std::ios::binary | std::ios::trunc);
    if (!file) return fail(fmt::format("--out '{}': cannot open for writing", o.out));
  }
  catch_signals();
  if (*mode == TraceMode::raw) {
    const std::uint16_t first_port = (*localizer)->config().first_source_port;
    if (o.manage_firewall) {
      auto installed = RstFirewall::install(first_port, kRawTraceMark);
      if (!installed)
        return fail(fmt::format("--manage-firewall (needs CAP_NET_ADMIN): {}", installed.message()),
                    1);
      firewall = std::move(*installed);
    } else {
      fmt::print(stderr,
                 "mitmlab trace: raw mode without --manage-firewall: the kernel does not know "
                 "the localizer's connections and resets them with RSTs, so sweeps end early "
                 "unless a rule of yours drops outgoing RSTs from ports {}-65535, e.g.\n  {}\n",
                 first_port, RstFirewall::manual_rule(first_port));
    }
  } else if (o.manage_firewall) {
    fmt::print(stderr, "mitmlab trace: --manage-firewall is for raw mode; ignored\n");
  }

  std::ostream& out = o.out.empty() ? std::cout : file;
  std::FILE* human = o.out.empty() ? stderr : stdout;
  const bool single = hosts->size() == 1;
  const bool tty = isatty(STDERR_FILENO) == 1;
  std::size_t injected = 0;
  LiveTraceOptions live;
  live.stop = &interrupted;
  live.on_result = [&](const TraceResult& r) {
    out << to_json(r).dump() << '\n';
    out.flush();
    if (r.verdict == "injected-before-server" || r.verdict == "at-server") ++injected;
    if (single) {
      if (tty) fmt::print(stderr, "\r{:40}\r", "");
      fmt::print(human, "{}", traceroute(r));
    }
  };
  if (tty)
    live.on_progress = [&](std::size_t results) {
      fmt::print(stderr, "\r{}/{} hosts traced, {} with injection   ", results, hosts->size(),
                 injected);
    };
  auto stats = *mode == TraceMode::raw ? run_raw_trace(**localizer, live)
                                       : run_socket_trace(**localizer, live);
  if (tty) fmt::print(stderr, "\r{:60}\r", "");
  firewall.reset();  // before any message: the rule is gone however the run ended
  out.flush();
  if (!stats) return fail(stats.message(), 1);
  if (!out) return fail("writing the output failed", 1);
  if (!stats->icmp_unavailable.empty())
    fmt::print(stderr, "mitmlab trace: hops unknown: {}\n", stats->icmp_unavailable);
  return 0;
}

void install(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "trace", "Locate interception on the path: TTL sweeps with a test SNI and a control");
  cmd->add_option("--target", o->targets, "Host to trace, ADDRESS[:PORT] (repeatable; port 443)");
  cmd->add_option("--targets", o->targets_file, "File of hosts, one per line: ADDRESS[:PORT]");
  cmd->add_option("--sni", o->sni, "Test SNI")->required();
  cmd->add_option("--control-sni", o->control_sni, "Control SNI, or 'none' (default: none)");
  cmd->add_option("--mode", o->mode, "raw (default: crafted packets, root) or socket");
  cmd->add_option("--max-ttl", o->max_ttl, "Highest TTL tried (default 32)");
  cmd->add_option("--rtt-multiplier", o->rtt_multiplier,
                  "Wait per TTL, in handshake RTTs (default 2.5)");
  cmd->add_option("--queries", o->queries,
                  "Tries of a TTL that draws nothing, lost hello or ICMP (default 3; the 2019 "
                  "script: 1)");
  cmd->add_option("--concurrency", o->concurrency, "Hosts swept at once (default 10)");
  cmd->add_option("--timeout", o->timeout_s, "Seconds for a TCP handshake (default 10)");
  cmd->add_option("--out", o->out, "JSON Lines output file (default: stdout)");
  cmd->add_flag("--manage-firewall", o->manage_firewall,
                "raw mode: drop the kernel's RSTs from the probe ports while tracing");
  cmd->callback([o, &exit_code] { exit_code = run(*o); });
}

const bool registered = register_command(install);

}  // namespace
}  // namespace mitmlab::cli
