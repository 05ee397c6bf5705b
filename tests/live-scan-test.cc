// The live scanner over real sockets on 127.0.0.1: the epoll transport driving the Scan
// core, and the `mitmlab scan` command end to end (JSON Lines out, clear errors). Servers are
// in-process OpenSSL servers on ephemeral loopback ports; nothing waits on a fixed sleep.
#define BOOST_TEST_MODULE live_scan
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "scanner/live/epoll-transport.h"
#include "scanner/live/target-list.h"
#include "tests/support/lookalike-forgery.h"
#include "tests/support/loopback-tls-server.h"
#include "tests/support/throwaway-pki.h"

using namespace mitmlab;
using namespace mitmlab::test;
namespace fs = std::filesystem;

namespace {

struct Pki {
  ThrowawayChain bank = make_throwaway_chain("bank.kz", "Bank");
  ThrowawayChain shop = make_throwaway_chain("shop.kz", "Shop");
  std::shared_ptr<const ForgedChain> forged_shop = lookalike_forgery(*shop.leaf.cert);
};
const Pki& pki() {
  static const Pki p;
  return p;
}
ServedChain served(const ThrowawayChain& c) {
  return {c.leaf.cert.get(), c.leaf.key.get(), {c.intermediate.cert.get()}};
}

// A normal server (bank.kz) and one intercepted for facebook.com (shop.kz, forged).
struct Servers {
  LoopbackTlsServer normal;
  LoopbackTlsServer intercepted;
  Servers()
      : normal(std::make_shared<const SniTestServerContexts>(
            SniTestServerOptions{served(pki().bank), {}})),
        intercepted(std::make_shared<const SniTestServerContexts>(
            SniTestServerOptions{served(pki().shop),
                                 {{"facebook.com",
                                   {pki().forged_shop->leaf.get(),
                                    pki().forged_shop->leaf_key.get(),
                                    {pki().forged_shop->intermediate.get()}}}}})) {}
};

// A loopback port nobody listens on: bound, then closed.
std::uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_TEST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A loopback port that listens but never accepts: the kernel completes the TCP handshake
// and nothing ever answers the ClientHello.
struct SilentListener {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  std::uint16_t port = 0;
  SilentListener() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_TEST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    BOOST_TEST_REQUIRE(::listen(fd, 16) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd); }
};

std::shared_ptr<const TrustStore> trust() {
  auto t = TrustStore::from_roots({pki().bank.root.cert.get(), pki().shop.root.cert.get()});
  BOOST_TEST_REQUIRE(t.ok());
  return *t;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mitmlab-live-scan-XXXXXX").string();
    BOOST_TEST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return path / name;
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the mitmlab binary with `args`; returns its exit status; stdout/stderr to files.
int run_mitmlab(const TempDir& dir, const std::string& args) {
  std::string cmd = std::string(MITMLAB_BINARY) + " " + args + " >" +
                    (dir.path / "stdout").string() + " 2>" + (dir.path / "stderr").string();
  int status = std::system(cmd.c_str());
  BOOST_TEST_REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

}  // namespace

BOOST_AUTO_TEST_CASE(target_list_parsing) {
  auto hosts =
      parse_target_list("# targets\n10.0.0.1\n\n10.0.0.2:8443  # bank\n::1\n[::1]:444\n", 443);
  BOOST_TEST_REQUIRE(hosts.ok(), (hosts.ok() ? "" : hosts.message()));
  BOOST_TEST_REQUIRE(hosts->size() == 4u);
  BOOST_TEST((*hosts)[0].address == "10.0.0.1");
  BOOST_TEST((*hosts)[0].port == 443);
  BOOST_TEST((*hosts)[1].port == 8443);
  BOOST_TEST((*hosts)[2].address == "::1");
  BOOST_TEST((*hosts)[3].port == 444);
  auto bad = parse_target_list("10.0.0.1\nbank.kz\n", 443);
  BOOST_TEST_REQUIRE(!bad.ok());
  BOOST_TEST(bad.message().find("line 2") != std::string::npos);
  BOOST_TEST(!parse_target_list("10.0.0.1:70000\n", 443).ok());
  BOOST_TEST(!parse_target_list("10.0.0.1:\n", 443).ok());
  BOOST_TEST(!parse_target_list("# nothing\n\n", 443).ok());
  BOOST_TEST(parse_calendar_time("2019-07-20").value() == utc_time(2019, 7, 20));
  BOOST_TEST(parse_calendar_time("2019-07-20T21:30:00Z").value() == utc_time(2019, 7, 20, 21, 30));
  BOOST_TEST(!parse_calendar_time("20 July 2019").ok());
}

BOOST_AUTO_TEST_CASE(epoll_transport_drives_the_scan_over_loopback) {
  Servers servers;
  ScanConfig c;
  c.hosts = {{"127.0.0.1", servers.normal.port()},
             {"127.0.0.1", servers.intercepted.port()},
             {"127.0.0.1", closed_port()}};
  c.test_snis = {"facebook.com", "example.org"};
  c.trust = trust();
  c.at = utc_time(2019, 7, 20);
  c.timeout = std::chrono::seconds(5);
  c.retries = 1;
  c.concurrency = 2;
  auto scan = Scan::create(c);
  BOOST_TEST_REQUIRE(scan.ok());
  std::vector<ScanRecord> records;
  LiveScanOptions live;
  live.on_record = [&](const ScanRecord& r) { records.push_back(r); };
  auto stats = run_live_scan(**scan, live);
  BOOST_TEST_REQUIRE(stats.ok(), (stats.ok() ? "" : stats.message()));
  BOOST_TEST_REQUIRE(records.size() == 6u);
  std::map<std::pair<std::uint16_t, std::string>, ScanRecord> by;
  for (auto& r : records) by[{r.port, r.sni}] = r;
  BOOST_TEST(by.at({servers.normal.port(), "facebook.com"}).verdict == Verdict::ok);
  BOOST_TEST(by.at({servers.intercepted.port(), "facebook.com"}).verdict == Verdict::injected);
  BOOST_TEST(by.at({servers.intercepted.port(), "facebook.com"}).attribution->label ==
             "qaznet-2019 (mitmlab look-alike)");
  BOOST_TEST(by.at({servers.intercepted.port(), "example.org"}).verdict == Verdict::ok);
  BOOST_TEST(by.at({c.hosts[2].port, "facebook.com"}).verdict == Verdict::control_failed);
  BOOST_TEST(by.at({c.hosts[2].port, "facebook.com"}).control_outcome ==
             ProbeOutcome::connect_failed);
  BOOST_TEST((*scan)->counters().max_active <= 2u);
  BOOST_TEST(servers.normal.handshakes() == 2u);  // the 2 tests; the control stops at the chain
  BOOST_TEST(stats->connect_failures == 6u);      // 3 probes x (1 + 1 retry)
}

BOOST_AUTO_TEST_CASE(silent_server_times_out_on_the_live_clock) {
  Servers servers;
  SilentListener silent;
  ScanConfig c;
  c.hosts = {{"127.0.0.1", servers.normal.port()}, {"127.0.0.1", silent.port}};
  c.test_snis = {"facebook.com"};
  c.trust = trust();
  c.at = utc_time(2019, 7, 20);
  c.timeout = std::chrono::milliseconds(300);
  c.retries = 0;
  auto scan = Scan::create(c);
  BOOST_TEST_REQUIRE(scan.ok());
  std::vector<ScanRecord> records;
  LiveScanOptions live;
  live.on_record = [&](const ScanRecord& r) { records.push_back(r); };
  BOOST_TEST_REQUIRE(run_live_scan(**scan, live).ok());
  BOOST_TEST_REQUIRE(records.size() == 2u);
  for (const auto& r : records) {
    if (r.port == silent.port) {
      BOOST_TEST(r.verdict == Verdict::control_failed);
      BOOST_TEST(r.control_outcome == ProbeOutcome::timeout);
      BOOST_TEST(r.test_outcome == ProbeOutcome::timeout);
    } else {
      BOOST_TEST(r.verdict == Verdict::ok);
    }
  }
}

BOOST_AUTO_TEST_CASE(mitmlab_scan_writes_json_lines) {
  Servers servers;
  TempDir dir;
  auto targets =
      dir.write("targets.txt", fmt::format("# loopback\n127.0.0.1:{}\n127.0.0.1:{}\n",
                                           servers.normal.port(), servers.intercepted.port()));
  auto roots = dir.write("roots.pem", x509_to_pem(pki().bank.root.cert.get()) +
                                          x509_to_pem(pki().shop.root.cert.get()));
  auto out = dir.path / "scan.jsonl";
  auto discovery = dir.path / "discovery.json";
  int rc = run_mitmlab(
      dir, fmt::format("scan --targets {} --sni facebook.com --sni example.org --concurrency 4 "
                       "--timeout 5 --trust {} --at 2019-07-20 --out {} --discovery {}",
                       targets.string(), roots.string(), out.string(), discovery.string()));
  BOOST_TEST_REQUIRE(rc == 0, slurp(dir.path / "stderr"));
  BOOST_TEST(slurp(dir.path / "stderr").empty());  // not a terminal: no progress line
  std::istringstream lines(slurp(out));
  std::map<int, nlohmann::json> by_port;
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    auto j = nlohmann::json::parse(line);
    if (j["sni"] == "facebook.com") by_port[j["port"].get<int>()] = j;
  }
  BOOST_TEST_REQUIRE(count == 4u);
  BOOST_TEST_REQUIRE(by_port.size() == 2u);
  auto found = nlohmann::json::parse(slurp(discovery));
  BOOST_TEST(found["facebook.com"] ==
             nlohmann::json::array({fmt::format("127.0.0.1:{}", servers.intercepted.port())}));
  BOOST_TEST(found["example.org"] == nlohmann::json::array());
  auto normal = by_port.at(servers.normal.port());
  auto intercepted = by_port.at(servers.intercepted.port());
  BOOST_TEST(normal["verdict"] == "ok");
  BOOST_TEST(normal["sni"] == "facebook.com");
  BOOST_TEST(normal["control_sni"].is_null());
  BOOST_TEST(intercepted["verdict"] == "injected");
  BOOST_TEST(intercepted["attribution"] == "qaznet-2019 (mitmlab look-alike)");
  BOOST_TEST(intercepted["test"]["leaf_issuer"] == "C = KZ, CN = Security Certificate");
  BOOST_TEST(intercepted["test"]["leaf_sha256"] ==
             to_hex(x509_sha256(pki().forged_shop->leaf.get())));
}

BOOST_AUTO_TEST_CASE(mitmlab_scan_errors_are_clear) {
  TempDir dir;
  int rc = run_mitmlab(dir, fmt::format("scan --targets {} --sni facebook.com",
                                        (dir.path / "missing.txt").string()));
  BOOST_TEST(rc == 2);
  std::string err = slurp(dir.path / "stderr");
  BOOST_TEST(err.find("targets file") != std::string::npos, err);
  BOOST_TEST(err.find("cannot open") != std::string::npos, err);

  auto bad = dir.write("bad.txt", "127.0.0.1\nnot-an-address\n");
  rc = run_mitmlab(dir, fmt::format("scan --targets {} --sni facebook.com", bad.string()));
  BOOST_TEST(rc == 2);
  err = slurp(dir.path / "stderr");
  BOOST_TEST(err.find("line 2") != std::string::npos, err);
  BOOST_TEST(slurp(dir.path / "stdout").empty());
}
