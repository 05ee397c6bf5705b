// `mitmlab bench scan [--handshakes N] [--concurrency N] [--seconds S] [--profile NAME]`:
// the live scanner (epoll transport + Scan core) against a local `openssl s_server` on
// 127.0.0.1 and, in the same run against the same server, `openssl s_time -new`; prints
// handshakes per second for both and their ratio. Wall clock is used here only.
// The server is a child process on an ephemeral loopback port with a throwaway EC P-256
// certificate; s_server answers one connection at a time, so both clients measure the same
// bottleneck (the server) and the ratio says how much the scanner's own work costs.
// s_time's rate is its count over the wall time of its whole process (start-up and its last
// connection included, a few tenths of a second): use --seconds 10 or more for a fair ratio.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
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
};

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
  struct Cleanup {
    std::filesystem::path dir;
    pid_t server = -1;
    ~Cleanup() {
      if (server > 0) {
        ::kill(server, SIGTERM);
        ::waitpid(server, nullptr, 0);
      }
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};
  if (Status s = write_server_credentials(dir / "cert.pem", dir / "key.pem"); !s)
    return fail(s.message());

  const std::uint16_t port = free_loopback_port();
  const std::string accept = fmt::format("127.0.0.1:{}", port);
  std::vector<std::string> server_args = {"openssl", "s_server",
                                          "-accept", accept,
                                          "-cert",   (dir / "cert.pem").string(),
                                          "-key",    (dir / "key.pem").string(),
                                          "-www",    "-no_ticket"};
  cleanup.server = spawn(server_args, (dir / "server.log").string());
  if (cleanup.server < 0) return fail("cannot start openssl s_server (is openssl installed?)");
  // s_server needs a moment to listen; poll its port for up to 10 s.
  bool up = false;
  for (int i = 0; i < 500 && !(up = port_accepts(port)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!up) return fail("openssl s_server did not start listening: " + slurp(dir / "server.log"));

  // The live scanner: handshakes/2 hosts (all the same server), one test SNI each, so every
  // host costs a control and a test handshake.
  ScanConfig config;
  for (unsigned i = 0; i < std::max(1u, o.handshakes / 2); ++i)
    config.hosts.push_back({"127.0.0.1", port});
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
  auto scan = Scan::create(config);
  if (!scan) return fail(scan.message());
  std::size_t ok = 0, records = 0;
  LiveScanOptions live;
  live.on_record = [&](const ScanRecord& r) {
    ++records;
    if (r.test_outcome == ProbeOutcome::ok && r.control_outcome == ProbeOutcome::ok) ++ok;
  };
  auto stats = run_live_scan(**scan, live);
  if (!stats) return fail(stats.message());
  const double scan_seconds = std::chrono::duration<double>(stats->elapsed).count();
  const double scan_handshakes = 2.0 * static_cast<double>(ok);
  if (ok != records)
    fmt::print(stderr, "warning: {} of {} hosts had a failed handshake\n", records - ok, records);

  // openssl s_time -new against the same server.
  std::vector<std::string> time_args = {
      "openssl", "s_time", "-connect", accept, "-new", "-time", std::to_string(o.seconds)};
  if (tls12) time_args.push_back("-tls1_2");
  auto start = BenchClock::now();
  pid_t st = spawn(time_args, (dir / "s_time.log").string());
  if (st < 0) return fail("cannot start openssl s_time");
  int status = 0;
  ::waitpid(st, &status, 0);
  const double st_seconds = ms_since(start) / 1000.0;
  const std::string log = slurp(dir / "s_time.log");
  std::smatch m;
  if (!std::regex_search(log, m, std::regex(R"((\d+) connections in [0-9.]+s)")))
    return fail("cannot read s_time's output: " + log);
  const double st_handshakes = std::stod(m[1]);

  const double scan_rate = scan_handshakes / scan_seconds;
  const double st_rate = st_handshakes / st_seconds;
  fmt::print("server: openssl s_server on {} ({}), one connection at a time\n", accept,
             tls12 ? "TLS 1.2" : "TLS 1.3");
  fmt::print("{:<34} {:>10} {:>10} {:>14}\n", "client", "handshakes", "seconds", "handshakes/s");
  fmt::print("{:<34} {:>10.0f} {:>10.2f} {:>14.1f}\n",
             fmt::format("mitmlab scan ({}, c={})", profile->name, o.concurrency), scan_handshakes,
             scan_seconds, scan_rate);
  fmt::print("{:<34} {:>10.0f} {:>10.2f} {:>14.1f}\n", "openssl s_time -new", st_handshakes,
             st_seconds, st_rate);
  fmt::print("ratio scan / s_time: {:.2f}\n", st_rate > 0 ? scan_rate / st_rate : 0.0);
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
  cmd->callback([o, &exit_code] { exit_code = run(*o); });
}

const bool registered = register_command(install);

}  // namespace
}  // namespace mitmlab::cli
