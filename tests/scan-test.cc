// The Scan core over an in-memory fake transport with scripted hosts and a virtual clock:
// an intercepting host (a look-alike forged chain for the target SNI), a virtual host, a
// self-signed server, a flaky server, a dead one, a silent one and an SNI-resetting one give
// the right verdicts, with retries, and never more connections than the limit.
#define BOOST_TEST_MODULE scan
#include "scanner/scan.h"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <set>

#include "tests/support/lookalike-forgery.h"
#include "tests/support/sni-test-server.h"
#include "tests/support/throwaway-pki.h"

using namespace mitmlab;
using namespace mitmlab::test;
using namespace std::chrono_literals;

namespace {

struct ScriptedHost {
  std::shared_ptr<const SniTestServerContexts> contexts;  // null: never answers (silent)
  bool refuse = false;                                    // dead: connection refused
  int resets_first = 0;                                   // flaky: reset the first N connections
  std::set<std::string> reset_snis{};                     // reset when the hello names one
  int connections = 0;
};

// The transport: performs the scan's actions against scripted hosts, 1 ms per delivery.
class FakeNetwork {
 public:
  std::map<std::string, ScriptedHost> hosts;
  std::size_t open = 0;
  std::size_t max_open = 0;
  std::uint64_t connects = 0;
  // Connections closed, by the SNI the server saw ("" for none), after a completed
  // handshake on the server's side or before one.
  std::map<std::string, int> finished_by_sni;
  std::map<std::string, int> unfinished_by_sni;

  void run(Scan& scan, Timestamp& now) {
    scan.start(now);
    for (int step = 0; step < 100000; ++step) {
      bool progress = false;
      while (auto action = scan.poll_action()) {
        perform(*action);
        progress = true;
      }
      if (!events_.empty()) {
        auto event = std::move(events_.front());
        events_.pop_front();
        now += 1ms;
        event(scan, now);
        progress = true;
      }
      if (scan.done() && events_.empty()) {
        while (auto action = scan.poll_action()) perform(*action);  // the last closes
        return;
      }
      if (!progress) {
        auto t = scan.next_timeout();
        BOOST_TEST_REQUIRE(t.has_value(), "stalled with nothing to wait for");
        now = std::max(now, *t);
        scan.on_timeout(now);
      }
    }
    BOOST_FAIL("the scan never finished");
  }

 private:
  struct Conn {
    ScriptedHost* host = nullptr;
    std::unique_ptr<SniTestServer> server{};
    bool reset_this = false;
  };

  void perform(const TransportAction& action) {
    if (auto* c = std::get_if<ConnectAction>(&action)) {
      ++connects;
      ScriptedHost& host = hosts.at(c->address);
      Conn conn;
      conn.host = &host;
      ConnId id = c->conn;
      ++open;
      max_open = std::max(max_open, open);
      if (host.refuse) {
        // A failed connect releases the connection by itself: the scan sends no close.
        events_.push_back([this, id](Scan& s, Timestamp now) {
          --open;
          s.on_connect_failed(now, id, "refused");
        });
        return;
      }
      conn.reset_this = host.connections++ < host.resets_first;
      if (host.contexts) conn.server = std::make_unique<SniTestServer>(host.contexts);
      conns_[id] = std::move(conn);
      events_.push_back([id](Scan& s, Timestamp now) { s.on_connected(now, id); });
    } else if (auto* send = std::get_if<SendAction>(&action)) {
      Conn& conn = conns_.at(send->conn);
      ConnId id = send->conn;
      if (!conn.server) return;  // silent host: swallows everything
      conn.server->feed(send->bytes);
      const auto& sni = conn.server->seen_sni();
      if (conn.reset_this || (sni && conn.host->reset_snis.count(*sni))) {
        events_.push_back([id](Scan& s, Timestamp now) { s.on_reset(now, id); });
        conn.server.reset();
        return;
      }
      Bytes out = conn.server->take_output();
      if (!out.empty())
        events_.push_back([id, out](Scan& s, Timestamp now) { s.on_bytes(now, id, out); });
    } else if (auto* close = std::get_if<CloseAction>(&action)) {
      BOOST_TEST_REQUIRE(conns_.count(close->conn) == 1u, "close of an unknown connection");
      if (const Conn& conn = conns_.at(close->conn); conn.server) {
        const std::string sni = conn.server->seen_sni().value_or("");
        ++(conn.server->handshake_done() ? finished_by_sni : unfinished_by_sni)[sni];
      }
      conns_.erase(close->conn);
      --open;
    }
  }

  std::map<ConnId, Conn> conns_;
  std::deque<std::function<void(Scan&, Timestamp)>> events_;
};

ThrowawayCert self_signed(const std::string& name) {
  ThrowawayCertSpec spec;
  spec.common_name = name;
  return make_self_signed(spec);
}

struct Pki {
  ThrowawayChain bank = make_throwaway_chain("bank.kz", "Bank");
  ThrowawayChain bank2 = make_throwaway_chain("shop.kz", "Shop");
  ThrowawayChain social = make_throwaway_chain("facebook.com", "Social");
  ThrowawayCert self = self_signed("router.local");
  std::shared_ptr<const ForgedChain> forged_bank = lookalike_forgery(*bank.leaf.cert);
  std::shared_ptr<const ForgedChain> forged_bank2 = lookalike_forgery(*bank2.leaf.cert);
  std::shared_ptr<const TrustStore> trust;
  Pki() {
    auto t = TrustStore::from_roots(
        {bank.root.cert.get(), bank2.root.cert.get(), social.root.cert.get()});
    BOOST_TEST_REQUIRE(t.ok());
    trust = *t;
  }
};
const Pki& pki() {
  static const Pki p;
  return p;
}

ServedChain served(const ThrowawayChain& c) {
  return {c.leaf.cert.get(), c.leaf.key.get(), {c.intermediate.cert.get()}};
}
ServedChain served(const ForgedChain& f) {
  return {f.leaf.get(), f.leaf_key.get(), {f.intermediate.get()}};
}
std::shared_ptr<const SniTestServerContexts> server(ServedChain def,
                                                    std::map<std::string, ServedChain> by = {}) {
  SniTestServerOptions o;
  o.default_chain = def;
  o.by_sni = std::move(by);
  return std::make_shared<const SniTestServerContexts>(o);
}

ScanConfig config(std::vector<std::string> addresses, std::vector<std::string> snis) {
  ScanConfig c;
  for (auto& a : addresses) c.hosts.push_back({a, 443});
  c.test_snis = std::move(snis);
  c.trust = pki().trust;
  c.at = utc_time(2019, 7, 20);
  c.timeout = 5s;
  c.retries = 2;
  c.concurrency = 3;
  return c;
}

std::map<std::pair<std::string, std::string>, ScanRecord> by_host_and_sni(
    const std::vector<ScanRecord>& records) {
  std::map<std::pair<std::string, std::string>, ScanRecord> out;
  for (const auto& r : records) out[{r.address, r.sni}] = r;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(scripted_hosts_get_the_right_verdicts) {
  const Pki& p = pki();
  FakeNetwork net;
  net.hosts["10.0.0.1"] = {server(served(p.bank), {{"facebook.com", served(*p.forged_bank)}})};
  net.hosts["10.0.0.2"] = {server(served(p.bank), {{"facebook.com", served(p.social)}})};
  net.hosts["10.0.0.3"] = {server({p.self.cert.get(), p.self.key.get(), {}})};
  net.hosts["10.0.0.4"] = {server(served(p.bank)), false, 2};
  net.hosts["10.0.0.5"] = {nullptr, true};
  net.hosts["10.0.0.6"] = {nullptr};
  net.hosts["10.0.0.7"] = {server(served(p.bank)), false, 0, {"facebook.com"}};
  auto scan = Scan::create(
      config({"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.7"},
             {"facebook.com", "example.org"}));
  BOOST_TEST_REQUIRE(scan.ok(), (scan.ok() ? "" : scan.message()));
  Timestamp now = 0s;
  net.run(**scan, now);

  auto records = (*scan)->take_records();
  BOOST_TEST_REQUIRE(records.size() == 14u);
  auto r = by_host_and_sni(records);
  auto verdict = [&](const char* host, const char* sni) {
    return std::string(verdict_name(r.at({host, sni}).verdict));
  };
  // Intercepted for facebook.com only; attributed to the look-alike CA.
  BOOST_TEST(verdict("10.0.0.1", "facebook.com") == "injected");
  BOOST_TEST(r.at({"10.0.0.1", "facebook.com"}).attribution->label ==
             "qaznet-2019 (mitmlab look-alike)");
  BOOST_TEST(r.at({"10.0.0.1", "facebook.com"}).leaf_issuer == "C = KZ, CN = Security Certificate");
  BOOST_TEST(verdict("10.0.0.1", "example.org") == "ok");
  // The vhost's other trusted certificate is not injection.
  BOOST_TEST(verdict("10.0.0.2", "facebook.com") == "ok");
  BOOST_TEST(r.at({"10.0.0.2", "facebook.com"}).row == 7);
  // Self-signed: ok, untrusted.
  BOOST_TEST(verdict("10.0.0.3", "facebook.com") == "ok");
  BOOST_TEST(r.at({"10.0.0.3", "facebook.com"}).untrusted);
  // Flaky: two resets, retried, then ok everywhere.
  BOOST_TEST(verdict("10.0.0.4", "facebook.com") == "ok");
  BOOST_TEST(verdict("10.0.0.4", "example.org") == "ok");
  unsigned flaky_retries = r.at({"10.0.0.4", "facebook.com"}).retries +
                           r.at({"10.0.0.4", "example.org"}).retries +
                           r.at({"10.0.0.4", "facebook.com"}).control_retries;
  BOOST_TEST(flaky_retries == 2u);
  // Dead: every probe tried 1 + 2 times.
  BOOST_TEST(verdict("10.0.0.5", "facebook.com") == "control-failed");
  BOOST_TEST(r.at({"10.0.0.5", "facebook.com"}).retries == 2u);
  BOOST_TEST(r.at({"10.0.0.5", "facebook.com"}).control_retries == 2u);
  BOOST_TEST(r.at({"10.0.0.5", "facebook.com"}).control_outcome == ProbeOutcome::connect_failed);
  // Silent: timeouts on the virtual clock.
  BOOST_TEST(verdict("10.0.0.6", "example.org") == "control-failed");
  BOOST_TEST(r.at({"10.0.0.6", "example.org"}).control_outcome == ProbeOutcome::timeout);
  // Resets the target SNI only (retried, still reset).
  BOOST_TEST(verdict("10.0.0.7", "facebook.com") == "reset");
  BOOST_TEST(r.at({"10.0.0.7", "facebook.com"}).retries == 2u);
  BOOST_TEST(verdict("10.0.0.7", "example.org") == "ok");

  // The limit held, was reached, and every connection was closed.
  BOOST_TEST(net.max_open <= 3u);
  BOOST_TEST((*scan)->counters().max_active == 3u);
  BOOST_TEST(net.open == 0u);
  BOOST_TEST((*scan)->counters().probes_started == net.connects);
  BOOST_TEST((*scan)->done());
  BOOST_TEST((*scan)->held_chains() == 0u);  // the records kept what matters; the probes' chains went
}

BOOST_AUTO_TEST_CASE(concurrency_one_and_a_benign_control_name) {
  const Pki& p = pki();
  FakeNetwork net;
  net.hosts["10.0.0.1"] = {server(served(p.bank), {{"facebook.com", served(*p.forged_bank)}})};
  net.hosts["10.0.0.2"] = {server(served(p.bank2), {{"facebook.com", served(*p.forged_bank2)}})};
  auto c = config({"10.0.0.1", "10.0.0.2"}, {"facebook.com"});
  c.concurrency = 1;
  c.control_sni = "example.com";
  auto scan = Scan::create(c);
  BOOST_TEST_REQUIRE(scan.ok());
  Timestamp now = 0s;
  net.run(**scan, now);
  auto records = (*scan)->take_records();
  BOOST_TEST_REQUIRE(records.size() == 2u);
  BOOST_TEST(net.max_open == 1u);
  for (const auto& rec : records) {
    BOOST_TEST(rec.verdict == Verdict::injected);
    BOOST_TEST(rec.control_sni == "example.com");
  }
}

// Either stop gives the same verdicts; the test probes go as far as told and the control
// never further than the certificate.
BOOST_AUTO_TEST_CASE(stop_at_certificate_gives_the_same_verdicts_and_the_control_always_stops) {
  const Pki& p = pki();
  for (ProbeStop stop : {ProbeStop::finished, ProbeStop::certificate}) {
    FakeNetwork net;
    net.hosts["10.0.0.1"] = {server(served(p.bank), {{"facebook.com", served(*p.forged_bank)}})};
    net.hosts["10.0.0.2"] = {server(served(p.bank), {{"facebook.com", served(p.social)}})};
    auto c = config({"10.0.0.1", "10.0.0.2"}, {"facebook.com", "google.com"});
    c.stop = stop;
    auto scan = Scan::create(c);
    BOOST_TEST_REQUIRE(scan.ok());
    Timestamp now = 0s;
    net.run(**scan, now);
    auto r = by_host_and_sni((*scan)->take_records());
    BOOST_TEST(r.at({"10.0.0.1", "facebook.com"}).verdict == Verdict::injected);
    BOOST_TEST(r.at({"10.0.0.2", "facebook.com"}).verdict == Verdict::ok);
    BOOST_TEST(r.at({"10.0.0.1", "facebook.com"}).chain_length == 2u);
    BOOST_TEST(net.finished_by_sni[""] == 0);  // two controls, neither finished
    BOOST_TEST(net.unfinished_by_sni[""] == 2);
    const int finished_tests =
        net.finished_by_sni["facebook.com"] + net.finished_by_sni["google.com"];
    BOOST_TEST(finished_tests == (stop == ProbeStop::finished ? 4 : 0));
  }
}

BOOST_AUTO_TEST_CASE(domain_discovery_reports_the_names_that_trigger) {
  const Pki& p = pki();
  FakeNetwork net;
  net.hosts["10.0.0.1"] = {server(
      served(p.bank), {{"vk.com", served(*p.forged_bank)}, {"ok.ru", served(*p.forged_bank)}})};
  net.hosts["10.0.0.2"] = {server(served(p.bank2), {{"vk.com", served(*p.forged_bank2)}})};
  auto scan = Scan::create(config({"10.0.0.1", "10.0.0.2"}, {"vk.com", "ok.ru", "example.org"}));
  BOOST_TEST_REQUIRE(scan.ok());
  Timestamp now = 0s;
  net.run(**scan, now);
  auto found = injection_by_name((*scan)->take_records());
  BOOST_TEST((found.at("vk.com") == std::vector<std::string>{"10.0.0.1:443", "10.0.0.2:443"}));
  BOOST_TEST((found.at("ok.ru") == std::vector<std::string>{"10.0.0.1:443"}));
  BOOST_TEST(found.at("example.org").empty());
}

BOOST_AUTO_TEST_CASE(record_json) {
  const Pki& p = pki();
  FakeNetwork net;
  net.hosts["10.0.0.1"] = {server(served(p.bank), {{"facebook.com", served(*p.forged_bank)}})};
  auto scan = Scan::create(config({"10.0.0.1"}, {"facebook.com"}));
  BOOST_TEST_REQUIRE(scan.ok());
  Timestamp now = 0s;
  net.run(**scan, now);
  auto records = (*scan)->take_records();
  BOOST_TEST_REQUIRE(records.size() == 1u);
  auto j = to_json(records[0]);
  BOOST_TEST(j["address"] == "10.0.0.1");
  BOOST_TEST(j["port"] == 443);
  BOOST_TEST(j["sni"] == "facebook.com");
  BOOST_TEST(j["control_sni"].is_null());
  BOOST_TEST(j["verdict"] == "injected");
  BOOST_TEST(j["attribution"] == "qaznet-2019 (mitmlab look-alike)");
  BOOST_TEST(j["test"]["leaf_issuer"] == "C = KZ, CN = Security Certificate");
  BOOST_TEST(j["test"]["leaf_sha256"] == to_hex(x509_sha256(p.forged_bank->leaf.get())));
  BOOST_TEST(j["test"]["version"] == "0x0303");
  BOOST_TEST(j["control"]["leaf_sha256"] == to_hex(x509_sha256(p.bank.leaf.cert.get())));
  BOOST_TEST(j["profile"] == "zgrab2-2019");
  BOOST_TEST(!j.contains("test_chain"), "chains stay out of the JSON line");
  BOOST_TEST_REQUIRE(!records[0].test_chain.empty());
  BOOST_TEST(records[0].test_chain.front() == x509_to_der(p.forged_bank->leaf.get()));
  BOOST_TEST_REQUIRE(!records[0].control_chain.empty());
  BOOST_TEST(records[0].control_chain.front() == x509_to_der(p.bank.leaf.cert.get()));
  // Virtual time: every delivery of the fake network takes 1 ms.
  BOOST_TEST(j["test"]["connect_ms"].get<double>() >= 1.0);
  BOOST_TEST(j["test"]["first_byte_ms"].get<double>() >= 1.0);
  BOOST_TEST(j["test"]["handshake_ms"].get<double>() > j["test"]["first_byte_ms"].get<double>());
}

BOOST_AUTO_TEST_CASE(configuration_errors) {
  auto c = config({"10.0.0.1"}, {});
  BOOST_TEST(!Scan::create(c).ok());
  c = config({"10.0.0.1"}, {"a"});
  c.concurrency = 0;
  BOOST_TEST(!Scan::create(c).ok());
  c = config({"10.0.0.1"}, {"a"});
  c.trust = nullptr;
  BOOST_TEST(!Scan::create(c).ok());
  c = config({""}, {"a"});
  BOOST_TEST(!Scan::create(c).ok());
}

BOOST_AUTO_TEST_CASE(reports_about_unknown_connections_are_ignored) {
  auto scan = Scan::create(config({"10.0.0.1"}, {"a"}));
  BOOST_TEST_REQUIRE(scan.ok());
  (*scan)->on_bytes(0s, 999, {});
  (*scan)->on_reset(0s, 999);
  BOOST_TEST((*scan)->counters().ignored_reports == 2u);
}
