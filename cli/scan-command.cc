// `mitmlab scan --targets FILE (--sni NAME)... [--control-sni NAME|none] [--port N]
//  [--concurrency N] [--timeout S] [--retries N] [--out FILE] [--trust PEM] [--at TIME]
//  [--profile NAME] [--stop-at finished|certificate] [--discovery FILE]`
// The live scanner: per host a control handshake and one per test SNI over TCP, a verdict
// per (host, SNI) as JSON Lines (scanner/scan-record.h; table in scanner/scan-verdict.h).
// A progress line goes to stderr only when stderr is a terminal.
// Domain discovery (how the 2019 authors found the 37 names, facts.md §2): scan hosts known
// to intercept with the candidate names as --sni, and --discovery FILE writes one JSON object
// {name: [hosts where it was injected]}, names that never triggered included with [].
#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "scanner/live/epoll-transport.h"
#include "scanner/live/target-list.h"
#include "scanner/scan.h"

namespace mitmlab::cli {
namespace {

struct Options {
  std::string targets;
  std::vector<std::string> snis;
  std::string control_sni = "none";
  std::uint16_t port = 443;
  std::size_t concurrency = 100;
  double timeout_s = 10;
  unsigned retries = 2;
  std::string out;
  std::string trust = "/etc/ssl/certs/ca-certificates.crt";
  std::string at = "now";
  std::string profile = "zgrab2-2019";
  std::string stop_at = "finished";
  std::string discovery;
};

Result<std::string> read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("{} file '{}': cannot open", what, path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error("{} file '{}': cannot read", what, path);
  return text.str();
}

int run(const Options& o) {
  auto fail = [](const std::string& message, int code = 2) {
    fmt::print(stderr, "mitmlab scan: {}\n", message);
    return code;
  };
  auto targets_text = read_file(o.targets, "targets");
  if (!targets_text) return fail(targets_text.message());
  auto hosts = parse_target_list(*targets_text, o.port);
  if (!hosts) return fail(fmt::format("targets file '{}': {}", o.targets, hosts.message()));
  auto trust_text = read_file(o.trust, "trust");
  if (!trust_text) return fail(trust_text.message());
  auto trust = TrustStore::from_pem(*trust_text);
  if (!trust) return fail(fmt::format("trust file '{}': {}", o.trust, trust.message()));
  auto at = parse_calendar_time(o.at);
  if (!at) return fail(at.message());
  auto profile = probe_hello_profile(o.profile);
  if (!profile) return fail(profile.message());
  const std::optional<ProbeStop> stop = probe_stop_named(o.stop_at);
  if (!stop) return fail("--stop-at: finished or certificate");
  if (!(o.timeout_s > 0)) return fail("--timeout must be positive");

  ScanConfig config;
  config.hosts = std::move(*hosts);
  config.test_snis = o.snis;
  config.control_sni = o.control_sni == "none" ? "" : o.control_sni;
  config.profile = *profile;
  config.timeout = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.timeout_s));
  config.retries = o.retries;
  config.concurrency = o.concurrency;
  config.stop = *stop;
  config.trust = *trust;
  config.at = *at;
  auto scan = Scan::create(std::move(config));
  if (!scan) return fail(scan.message());

  std::ofstream file;
  if (!o.out.empty()) {
    file.open(o.out, std::ios::binary | std::ios::trunc);
    if (!file) return fail(fmt::format("--out '{}': cannot open for writing", o.out));
  }
  std::ostream& out = o.out.empty() ? std::cout : file;
  const bool tty = isatty(STDERR_FILENO) == 1;
  std::size_t injected = 0, written = 0;
  std::vector<ScanRecord> kept;  // for --discovery only
  LiveScanOptions live;
  live.on_record = [&](const ScanRecord& r) {
    out << to_json(r).dump() << '\n';
    ++written;
    if (r.verdict == Verdict::injected) ++injected;
    if (!o.discovery.empty()) kept.push_back(r);
  };
  if (tty)
    live.on_progress = [&](const Scan& s) {
      fmt::print(stderr, "\r{}/{} verdicts, {} injected, {} connections open   ", written,
                 s.total_records(), injected, s.counters().active);
    };
  auto stats = run_live_scan(**scan, live);
  if (tty)
    fmt::print(stderr, "\r{}/{} verdicts, {} injected{:30}\n", written, (*scan)->total_records(),
               injected, "");
  out.flush();
  if (!out) return fail("writing the output failed", 1);
  if (!stats) return fail(stats.message(), 1);
  if (!o.discovery.empty()) {
    std::ofstream d(o.discovery, std::ios::binary | std::ios::trunc);
    d << nlohmann::json(injection_by_name(kept)).dump(2) << '\n';
    if (!d.flush()) return fail(fmt::format("--discovery '{}': cannot write", o.discovery), 1);
  }
  return 0;
}

void install(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "scan", "Scan TLS hosts for interception: a control and test-SNI handshakes per host");
  cmd->add_option("--targets", o->targets, "File of hosts, one per line: ADDRESS[:PORT]")
      ->required();
  cmd->add_option("--sni", o->snis, "Test SNI (repeat for several)")->required();
  cmd->add_option("--control-sni", o->control_sni, "Control SNI, or 'none' (default: none)");
  cmd->add_option("--port", o->port, "Port for targets without one (default 443)");
  cmd->add_option("--concurrency", o->concurrency, "Connections open at once (default 100)");
  cmd->add_option("--timeout", o->timeout_s,
                  "Seconds per handshake, connect included (default 10)");
  cmd->add_option("--retries", o->retries, "Retries of a probe without a chain (default 2)");
  cmd->add_option("--out", o->out, "JSON Lines output file (default: stdout)");
  cmd->add_option("--trust", o->trust, "PEM bundle of trusted roots (default: the system's)");
  cmd->add_option("--at", o->at, "Validation time: now, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
  cmd->add_option("--profile", o->profile, "ClientHello profile: zgrab2-2019, openssl-default");
  cmd->add_option("--stop-at", o->stop_at,
                  "how far the test handshakes go: finished (default) or certificate; the "
                  "control always stops at the certificate");
  cmd->add_option("--discovery", o->discovery,
                  "Write {name: [hosts where injected]} as JSON (domain discovery)");
  cmd->callback([o, &exit_code] { exit_code = run(*o); });
}

const bool registered = register_command(install);

}  // namespace
}  // namespace mitmlab::cli
