// `mitmlab bench scan [--handshakes N] [--concurrency N] [--seconds S] [--profile NAME]
// [--servers N] [--rounds N]`: the live scanner (epoll transport + Scan core) against local `openssl
// s_server`s on 127.0.0.1 and, in the same run against the same servers, `openssl s_time
// -new` (one per server, run in parallel); prints handshakes per second for both, their
// ratio, and the CPU each side spent per handshake. Wall clock is used here only.
// Fairness: each server is a child process on an ephemeral loopback port with a throwaway EC
// P-256 certificate. Left alone, the zgrab2-2019 profile would negotiate
// ECDHE-ECDSA-CHACHA20-POLY1305 over P-256 and s_time ECDHE-ECDSA-AES256-GCM-SHA384 over
// X25519; for TLS 1.2 the servers are restricted to ECDHE-ECDSA-AES128-GCM-SHA256 over P-256,
// which both offer, so both clients make the same handshake. TLS 1.3 profiles are left to
// OpenSSL's defaults on both sides. s_server answers one connection at a time, and within
// one connection it waits for the client's second flight (certificate decode, signature
// check, key exchange: most of a client's handshake CPU): s_time pays client + server +
// round trips per handshake; the scanner's other connections can only hide the client work
// that is off that path (connect, ClientHello, teardown, judging), so against one server its
// wall-clock lead is about (s_time's client CPU + server CPU) / (its own + server CPU), and
// the server stays well below 100% busy for both. Both sides share the machine's cores, so
// on a loaded machine the wall-clock ratio moves with the load; the CPU columns move less.
// s_time's rate is its count over the wall time of its whole process (start-up and its last
// connection included, a few tenths of a second): use --seconds 10 or more for a fair ratio.
// With --rounds N the two clients alternate N times (a load that comes and goes falls on
// both), and each round's ratio and their median are printed too.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "cli/bench-command.h"
#include "cli/bench-stats.h"
#include "cli/command.h"
#include "net/openssl.h"
#include "scanner/live/epoll-transport.h"
#include "scanner/scan.h"

extern char** environ;

namespace mitmlab::cli {
namespace {

struct Options {
  unsigned handshakes = 2000;
  std::size_t concurrency = 8;
  unsigned seconds = 5;  // s_time's run
  std::string profile = "zgrab2-2019";
  unsigned servers = 1;
  unsigned rounds = 1;  // scanner and s_time alternate this many times
};

// The suite and group the servers insist on for TLS 1.2: offered by both clients.
constexpr const char* kTls12Suite = "ECDHE-ECDSA-AES128-GCM-SHA256";
constexpr const char* kTls12Group = "P-256";

double seconds_of(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

double self_cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return seconds_of(ru.ru_utime) + seconds_of(ru.ru_stime);
}

// User + system CPU seconds of a running child, from /proc (0 if unreadable).
double process_cpu_seconds(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  auto close = stat.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i)
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// A self-signed P-256 certificate for the server, and its PEM files.
Status write_server_credentials(const std::filesystem::path& cert,
                                const std::filesystem::path& key) {
  EvpPkeyPtr pkey(EVP_EC_gen("P-256"));
  X509Ptr x(X509_new());
  if (!pkey || !x) return openssl_error("bench scan: key/certificate");
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("bench.test"), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509_set_pubkey(x.get(), pkey.get());
  if (X509_sign(x.get(), pkey.get(), EVP_sha256()) == 0) return openssl_error("bench scan: sign");
  BioPtr kb(BIO_new_file(key.c_str(), "w"));
  BioPtr cb(BIO_new_file(cert.c_str(), "w"));
  if (!kb || !cb ||
      PEM_write_bio_PrivateKey(kb.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_X509(cb.get(), x.get()) != 1)
    return openssl_error("bench scan: writing PEM");
  return Ok{};
}

std::uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool port_accepts(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// Starts `argv` with stdin from /dev/null and stdout/stderr to `output`; returns the pid or -1.
pid_t spawn(const std::vector<std::string>& args, const std::string& output) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int run(const Options& o) {
  auto fail = [](const std::string& m) {
    fmt::print(stderr, "mitmlab bench scan: {}\n", m);
    return 1;
  };
  auto profile = probe_hello_profile(o.profile);
  if (!profile) return fail(profile.message());
  const bool tls12 = profile->max_version <= kTls12;
  char tmpl[] = "/tmp/mitmlab-bench-scan-XXXXXX";
  if (!::mkdtemp(tmpl)) return fail("mkdtemp failed");
  const std::filesystem::path dir(tmpl);
  struct Cleanup {  // after the servers are stopped (declared below, destroyed first)
    std::filesystem::path dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};
  if (Status s = write_server_credentials(dir / "cert.pem", dir / "key.pem"); !s)
    return fail(s.message());

  const unsigned n_servers = std::max(1u, o.servers);
  struct Server {
    pid_t pid = -1;
    std::uint16_t port = 0;
    std::string accept;
  };
  std::vector<Server> servers;
  struct Stop {
    std::vector<Server>& servers;
    ~Stop() {
      for (const Server& s : servers) {
        ::kill(s.pid, SIGTERM);
        ::waitpid(s.pid, nullptr, 0);
      }
    }
  } stop{servers};
  for (unsigned i = 0; i < n_servers; ++i) {
    Server srv;
    srv.port = free_loopback_port();
    srv.accept = fmt::format("127.0.0.1:{}", srv.port);
    std::vector<std::string> server_args = {"openssl", "s_server",
                                            "-accept", srv.accept,
                                            "-cert",   (dir / "cert.pem").string(),
                                            "-key",    (dir / "key.pem").string(),
                                            "-www",    "-no_ticket"};
    if (tls12)
      server_args.insert(server_args.end(), {"-cipher", kTls12Suite, "-groups", kTls12Group});
    const std::string log = (dir / fmt::format("server-{}.log", i)).string();
    srv.pid = spawn(server_args, log);
    if (srv.pid < 0) return fail("cannot start openssl s_server (is openssl installed?)");
    servers.push_back(srv);
    // s_server needs a moment to listen; poll its port for up to 10 s.
    bool up = false;
    for (int t = 0; t < 500 && !(up = port_accepts(srv.port)); ++t)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!up) return fail("openssl s_server did not start listening: " + slurp(log));
  }
  auto server_cpu = [&servers] {
    double total = 0;
    for (const Server& s : servers) total += process_cpu_seconds(s.pid);
    return total;
  };

  // The live scanner: handshakes/2 hosts (all the same server), one test SNI each, so every
  // host costs a control and a test handshake.
  ScanConfig config;
  const unsigned rounds = std::max(1u, o.rounds);
  for (unsigned i = 0; i < std::max(1u, o.handshakes / 2 / rounds); ++i)
    config.hosts.push_back({"127.0.0.1", servers[i % servers.size()].port});
  config.test_snis = {"bench.test"};
  config.profile = *profile;
  config.retries = 0;
  config.concurrency = o.concurrency;
  config.timeout = std::chrono::seconds(10);
  {
    BioPtr b(BIO_new_file((dir / "cert.pem").c_str(), "r"));
    X509Ptr root(b ? PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!root) return fail("cannot read the server certificate back");
    auto trust = TrustStore::from_roots({root.get()});
    if (!trust) return fail(trust.message());
    config.trust = *trust;
  }
  config.at = std::time(nullptr);
  std::map<std::string, std::size_t> suites;  // what the scanner negotiated, by suite name
  // One phase of either client: its handshakes, wall seconds, own CPU and the servers' CPU.
  struct Phase {
    double handshakes = 0, seconds = 0, client_cpu = 0, server_cpu = 0;
    double rate() const { return seconds > 0 ? handshakes / seconds : 0.0; }
    void add(const Phase& p) {
      handshakes += p.handshakes;
      seconds += p.seconds;
      client_cpu += p.client_cpu;
      server_cpu += p.server_cpu;
    }
  };
  auto scan_phase = [&]() -> Result<Phase> {
    auto scan = Scan::create(config);
    if (!scan) return scan.error();
    std::size_t ok = 0, records = 0;
    LiveScanOptions live;
    live.on_record = [&](const ScanRecord& r) {
      ++records;
      ++suites[r.suite];
      if (r.test_outcome == ProbeOutcome::ok && r.control_outcome == ProbeOutcome::ok) ++ok;
    };
    Phase p;
    const double server_cpu0 = server_cpu();
    const double cpu0 = self_cpu_seconds();
    auto stats = run_live_scan(**scan, live);
    p.client_cpu = self_cpu_seconds() - cpu0;
    p.server_cpu = server_cpu() - server_cpu0;
    if (!stats) return stats.error();
    p.seconds = std::chrono::duration<double>(stats->elapsed).count();
    p.handshakes = 2.0 * static_cast<double>(ok);
    if (ok != records)
      fmt::print(stderr, "warning: {} of {} hosts had a failed handshake\n", records - ok,
                 records);
    return p;
  };
  // openssl s_time -new against the same servers, one s_time per server, all at once.
  auto s_time_phase = [&]() -> Result<Phase> {
    Phase p;
    const double server_cpu0 = server_cpu();
    auto start = BenchClock::now();
    std::vector<pid_t> timers;
    for (std::size_t i = 0; i < servers.size(); ++i) {
      std::vector<std::string> time_args = {"openssl", "s_time", "-connect", servers[i].accept,
                                            "-new",    "-time",  std::to_string(o.seconds)};
      if (tls12) time_args.push_back("-tls1_2");
      pid_t st = spawn(time_args, (dir / fmt::format("s_time-{}.log", i)).string());
      if (st < 0) return make_error("cannot start openssl s_time");
      timers.push_back(st);
    }
    for (pid_t st : timers) {
      int status = 0;
      rusage ru{};
      ::wait4(st, &status, 0, &ru);
      p.client_cpu += seconds_of(ru.ru_utime) + seconds_of(ru.ru_stime);
    }
    p.seconds = ms_since(start) / 1000.0;
    p.server_cpu = server_cpu() - server_cpu0;
    for (std::size_t i = 0; i < servers.size(); ++i) {
      const std::string log = slurp(dir / fmt::format("s_time-{}.log", i));
      std::smatch m;
      if (!std::regex_search(log, m, std::regex(R"((\d+) connections in [0-9.]+s)")))
        return make_error("cannot read s_time's output: {}", log);
      p.handshakes += std::stod(m[1]);
    }
    return p;
  };
  // Rounds alternate the two clients, so that a load that comes and goes on the machine
  // falls on both; each round's ratio is kept for the median.
  Phase scan_total, st_total;
  std::vector<double> round_ratios;
  for (unsigned r = 0; r < rounds; ++r) {
    auto sc = scan_phase();
    if (!sc) return fail(sc.message());
    auto st = s_time_phase();
    if (!st) return fail(st.message());
    scan_total.add(*sc);
    st_total.add(*st);
    round_ratios.push_back(st->rate() > 0 ? sc->rate() / st->rate() : 0.0);
  }
  const double scan_handshakes = scan_total.handshakes, scan_seconds = scan_total.seconds;
  const double scan_cpu = scan_total.client_cpu, scan_server_cpu = scan_total.server_cpu;
  const double st_handshakes = st_total.handshakes, st_seconds = st_total.seconds;
  const double st_cpu = st_total.client_cpu, st_server_cpu = st_total.server_cpu;

  const double scan_rate = scan_handshakes / scan_seconds;
  const double st_rate = st_handshakes / st_seconds;
  std::string ports;
  for (const Server& s : servers) ports += (ports.empty() ? "" : ", ") + s.accept;
  fmt::print("server: {} x openssl s_server ({}), one connection at a time each\n", servers.size(),
             ports);
  if (tls12)
    fmt::print("handshake: TLS 1.2, {} over {} (the servers allow only these; both clients "
               "offer them)\n",
               kTls12Suite, kTls12Group);
  else
    fmt::print("handshake: TLS 1.3, OpenSSL's defaults on both sides\n");
  std::string negotiated;
  for (const auto& [suite, n] : suites)
    negotiated += fmt::format("{}{} x{}", negotiated.empty() ? "" : ", ", suite, n);
  fmt::print("scanner negotiated: {}\n", negotiated);
  fmt::print("{:<34} {:>10} {:>8} {:>13} {:>14} {:>14} {:>12}\n", "client", "handshakes",
             "seconds", "handshakes/s", "client CPU ms", "server CPU ms", "server busy");
  auto row = [&](const std::string& name, double n, double secs, double client_cpu,
                 double srv_cpu) {
    const double per = n > 0 ? 1000.0 / n : 0.0;
    fmt::print("{:<34} {:>10.0f} {:>8.2f} {:>13.1f} {:>14.3f} {:>14.3f} {:>11.0f}%\n", name, n,
               secs, secs > 0 ? n / secs : 0.0, client_cpu * per, srv_cpu * per,
               secs > 0 ? 100.0 * srv_cpu / (secs * static_cast<double>(servers.size())) : 0.0);
  };
  row(fmt::format("mitmlab scan ({}, c={})", profile->name, o.concurrency), scan_handshakes,
      scan_seconds, scan_cpu, scan_server_cpu);
  row(servers.size() == 1 ? std::string("openssl s_time -new")
                          : fmt::format("openssl s_time -new (x{})", servers.size()),
      st_handshakes, st_seconds, st_cpu, st_server_cpu);
  fmt::print("(CPU ms are per handshake; server busy is its CPU time over the wall time, per "
             "server: near 100% the server bounds the rate)\n");
  fmt::print("ratio scan / s_time: {:.2f}\n", st_rate > 0 ? scan_rate / st_rate : 0.0);
  if (rounds > 1) {
    std::string each;
    for (double r : round_ratios) each += fmt::format("{}{:.2f}", each.empty() ? "" : ", ", r);
    std::sort(round_ratios.begin(), round_ratios.end());
    const std::size_t n = round_ratios.size();
    const double median = n % 2 ? round_ratios[n / 2]
                                : (round_ratios[n / 2 - 1] + round_ratios[n / 2]) / 2.0;
    fmt::print("ratio per round: {} (median {:.2f})\n", each, median);
  }
  return 0;
}

void install(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<Options>();
  auto* cmd = bench_command(app).add_subcommand(
      "scan", "The live scanner vs openssl s_time -new against a local openssl s_server");
  cmd->add_option("--handshakes", o->handshakes, "Scanner handshakes (default 2000)");
  cmd->add_option("--concurrency", o->concurrency, "Scanner connections at once (default 8)");
  cmd->add_option("--seconds", o->seconds, "s_time's run time in seconds (default 5)");
  cmd->add_option("--profile", o->profile, "Scanner hello profile (zgrab2-2019: TLS 1.2 for both)");
  cmd->add_option("--servers", o->servers,
                  "openssl s_server processes (default 1); the scanner spreads its hosts over "
                  "them, one s_time runs against each");
  cmd->add_option("--rounds", o->rounds,
                  "Alternate the two clients this many times (default 1): the handshakes are "
                  "split over the rounds, s_time runs --seconds in each; prints each round's "
                  "ratio and their median");
  cmd->callback([o, &exit_code] { exit_code = run(*o); });
}

const bool registered = register_command(install);

}  // namespace
}  // namespace mitmlab::cli
