#define BOOST_TEST_MODULE scenario
#include "sim/scenario.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <boost/test/unit_test.hpp>
#include <fmt/core.h>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include "interceptor/default-targets.h"
#include "sim/scenario-units.h"

using namespace mitmlab;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// A scenario using every section: defaults, calendar and offset times, units, a PKI with two
// roots, a bump with a calendar schedule, groups with a mix, and each job kind.
constexpr std::string_view kFull = R"json(
{
  "name": "teaching-2019",
  "description": "every field",
  "start": "2019-07-21T10:00:00Z",
  "seed": 42,
  "end": "1d",
  "defaults": {
    "link": {"delay": "2ms", "rate": "1Gbps"},
    "uplink": {"delay": "250us", "rate": "100Mbps"}
  },
  "routers": [
    {"name": "r1", "address": "185.120.76.1"},
    {"name": "r2", "address": "88.204.195.89"},
    {"name": "r3", "address": "92.47.151.210", "as": "AS9198"},
    {"name": "r4", "address": "95.56.243.92", "as": "AS9198"}
  ],
  "links": [
    {"a": "r1", "b": "r2", "delay": 0.01, "rate": 10000000, "cost": 3},
    {"a": "r2", "b": "r3", "delay": "1.5s", "rate": "10kbps", "loss": 0.01, "reorder": 0.5, "reorder_delay": "7ms"},
    {"a": "r3", "b": "r4"}
  ],
  "bumps": [
    {"name": "kz-box", "link": ["r4", "r3"], "engine": {
      "targets": ["www.facebook.com"],
      "schedule": {"active": [{"start": "2019-07-21T11:00:00Z", "end": 7200}]}}},
    {"name": "seeded", "link": ["r1", "r2"], "engine": {"seed": 9}}
  ],
  "vantages": [
    {"name": "us-vps", "kind": "vps", "address": "198.51.100.7", "attach": "r1"},
    {"name": "kz-vps", "kind": "vps", "address": "185.120.76.200", "attach": "r3",
     "uplink": {"loss": 0.5}}
  ],
  "servers": [
    {"name": "bank.example.kz", "address": "2.72.1.1", "attach": "r4", "as": "AS9198",
     "kind": "vhost", "issuer": "mitmlab Fictional Root B", "port": 8443},
    {"name": "old.example.kz", "address": "2.72.1.2", "attach": "r3", "kind": "expired",
     "uplink": {"delay": "3ms"}}
  ],
  "server_groups": [
    {"name": "kz", "count": 12, "attach": "r4", "as": "AS9198", "prefix": "2.72.0.0/24",
     "domain": "hosts.example.kz"},
    {"name": "mix", "count": 10, "attach": "r4", "prefix": "5.0.0.0/28",
     "mix": [{"kind": "trusted", "weight": 6}, {"kind": "self_signed", "weight": 3}, {"kind": "down", "weight": 1}],
     "uplink": {"rate": "1Mbps"}}
  ],
  "pki": {"roots": ["mitmlab Fictional Root A", "mitmlab Fictional Root B"],
          "client_trusts": ["mitmlab Fictional Root A"], "key": "rsa-2048"},
  "jobs": [
    {"name": "scan-us", "kind": "scan", "at": "2019-07-21T10:30:00Z", "vantage": "us-vps",
     "hosts": {"groups": ["kz"], "servers": ["bank.example.kz"], "sample": 5},
     "snis": ["www.facebook.com", "www.google.com"], "control_sni": "", "profile": "openssl-default",
     "concurrency": 7, "retries": 0, "timeout": "3s", "stop_at": "certificate"},
    {"name": "trace-us", "kind": "trace", "at": 3600, "vantage": "us-vps",
     "hosts": {"from_job": "scan-us", "verdict": "injected"},
     "sni": "www.facebook.com", "control_sni": "example.org", "mode": "socket", "max_ttl": 20,
     "rtt_multiplier": 3, "queries": 2, "concurrency": 2},
    {"name": "fetch", "kind": "fetch", "at": "2h", "vantage": "kz-vps", "server": "bank.example.kz",
     "path": "/login", "trust_fake_root": false},
    {"name": "hellos", "kind": "fingerprint", "server": "kz-01.hosts.example.kz", "duration": "5min"}
  ]
}
)json";

Scenario parse_ok(std::string_view text) {
  auto result = parse_scenario(text, "full.json");
  BOOST_REQUIRE_MESSAGE(result.ok(), (result.ok() ? std::string() : result.message()));
  return std::move(result).value();
}

const ScenarioServer& server_named(const Scenario& s, std::string_view name) {
  auto it = std::find_if(s.servers.begin(), s.servers.end(),
                         [&](const ScenarioServer& x) { return x.name == name; });
  BOOST_REQUIRE_MESSAGE(it != s.servers.end(), "no server " << name);
  return *it;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(units) {
  BOOST_TEST((parse_duration("5ms") == Duration(5ms)));
  BOOST_TEST((parse_duration("1.5s") == Duration(1500ms)));
  BOOST_TEST((parse_duration("250us") == Duration(250us)));
  BOOST_TEST((parse_duration("2h") == Duration(2h)));
  BOOST_TEST((parse_duration("1d") == Duration(24h)));
  BOOST_TEST((parse_duration("5min") == Duration(300s)));
  BOOST_TEST((parse_duration("3ns") == Duration(3ns)));
  for (std::string_view bad : {"", "5", "ms", "5m", "-1s", "+1s", "1e3s", "5 ms", ".5s", "5.s",
                               "1.2.3s", "5MS", "99999999999s"}) {
    BOOST_TEST(!parse_duration(bad).has_value(), bad);
  }
  BOOST_TEST((parse_rate("1Gbps") == std::optional<std::uint64_t>(1'000'000'000)));
  BOOST_TEST((parse_rate("100Mbps") == std::optional<std::uint64_t>(100'000'000)));
  BOOST_TEST((parse_rate("10kbps") == std::optional<std::uint64_t>(10'000)));
  BOOST_TEST((parse_rate("1.5Mbps") == std::optional<std::uint64_t>(1'500'000)));
  BOOST_TEST((parse_rate("64bps") == std::optional<std::uint64_t>(64)));
  for (std::string_view bad : {"", "10", "0bps", "1Kbps", "1gbps", "1 Mbps", "2000Gbps"}) {
    BOOST_TEST(!parse_rate(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_CASE(prefixes) {
  auto p = Ipv4Prefix::parse("2.72.0.0/16");
  BOOST_REQUIRE(p.ok());
  BOOST_TEST(p->to_string() == "2.72.0.0/16");
  BOOST_TEST(p->size() == 65536u);
  BOOST_TEST(p->contains(Ipv4Address(2, 72, 255, 255)));
  BOOST_TEST(!p->contains(Ipv4Address(2, 73, 0, 0)));
  auto all = Ipv4Prefix::parse("0.0.0.0/0");
  BOOST_REQUIRE(all.ok());
  BOOST_TEST(all->contains(Ipv4Address(255, 1, 2, 3)));
  BOOST_TEST(Ipv4Prefix::parse("1.2.3.4/32").ok());
  for (std::string_view bad :
       {"2.72.0.0", "2.72.0.0/", "2.72.0.0/33", "2.72.0.0/016", "2.72.0/16", "2.72.0.0/x"}) {
    BOOST_TEST(!Ipv4Prefix::parse(bad).ok(), bad);
  }
  auto host_bits = Ipv4Prefix::parse("2.72.1.0/16");
  BOOST_REQUIRE(!host_bits.ok());
  BOOST_TEST(contains(host_bits.message(), "did you mean 2.72.0.0/16"));
}

BOOST_AUTO_TEST_CASE(names_round_trip) {
  for (CertKind k : {CertKind::trusted, CertKind::vhost, CertKind::self_signed, CertKind::expired,
                     CertKind::unknown_root, CertKind::no_tls, CertKind::down}) {
    BOOST_TEST((parse_cert_kind(cert_kind_name(k)) == k));
  }
  BOOST_TEST(cert_kind_name(CertKind::self_signed) == "self_signed");
  BOOST_TEST(!parse_cert_kind("self-signed").has_value());
  BOOST_TEST(job_kind_name(JobKind::fingerprint) == "fingerprint");
  BOOST_TEST(derive_seed(1, "bump/a") == derive_seed(1, "bump/a"));
  BOOST_TEST(derive_seed(1, "bump/a") != derive_seed(2, "bump/a"));
  BOOST_TEST(derive_seed(1, "bump/a") != derive_seed(1, "bump/b"));
}

BOOST_AUTO_TEST_CASE(full_example_values) {
  Scenario s = parse_ok(kFull);
  BOOST_TEST(s.name == "teaching-2019");
  BOOST_TEST(s.description == "every field");
  BOOST_TEST(s.start == 1563703200);  // 2019-07-21T10:00:00Z
  BOOST_TEST(s.seed == 42u);
  BOOST_TEST((s.end == Duration(24h)));
  BOOST_TEST(s.source.empty());

  BOOST_REQUIRE(s.routers.size() == 4u);
  BOOST_TEST((s.routers[2].address == Ipv4Address(92, 47, 151, 210)));
  BOOST_TEST(s.routers[2].as == "AS9198");
  BOOST_TEST(s.routers[0].as.empty());

  BOOST_REQUIRE(s.links.size() == 3u);
  BOOST_TEST((s.links[0].properties.delay == Duration(10ms)));  // a number is seconds
  BOOST_TEST(s.links[0].properties.rate_bps == 10'000'000u);
  BOOST_TEST(s.links[0].properties.cost == 3u);
  BOOST_TEST((s.links[1].properties.delay == Duration(1500ms)));
  BOOST_TEST(s.links[1].properties.rate_bps == 10'000u);
  BOOST_TEST(s.links[1].properties.loss == 0.01);
  BOOST_TEST(s.links[1].properties.reorder == 0.5);
  BOOST_TEST((s.links[1].properties.reorder_delay == Duration(7ms)));
  // Defaults from /defaults/link, the rest from LinkProperties.
  BOOST_TEST((s.links[2].properties.delay == Duration(2ms)));
  BOOST_TEST(s.links[2].properties.rate_bps == 1'000'000'000u);
  BOOST_TEST(s.links[2].properties.cost == 1u);
  BOOST_TEST((s.links[2].properties.reorder_delay == Duration(5ms)));

  BOOST_REQUIRE(s.bumps.size() == 2u);
  const ScenarioBump& box = s.bumps[0];
  BOOST_TEST(box.a == "r4");  // the bump's own order: side A is r4
  BOOST_TEST(box.b == "r3");
  BOOST_TEST(box.engine.targets == std::vector<std::string>{"www.facebook.com"});
  BOOST_TEST(box.engine.seed == derive_seed(42, "bump/kz-box"));
  BOOST_TEST(s.bumps[1].engine.seed == 9u);
  BOOST_TEST(s.bumps[1].engine.targets.size() == default_targets().size());
  BOOST_REQUIRE(box.engine.schedule.calendar_origin.has_value());
  BOOST_TEST(box.engine.schedule.calendar_origin->time_since_epoch() ==
             std::chrono::seconds(s.start));
  BOOST_REQUIRE(s.bumps[1].engine.schedule.calendar_origin.has_value());
  BOOST_TEST(s.bumps[1].engine.schedule.calendar_origin->time_since_epoch() ==
             std::chrono::seconds(s.start));
  BOOST_REQUIRE(box.engine.schedule.active.has_value());
  BOOST_REQUIRE(box.engine.schedule.active->size() == 1u);
  BOOST_TEST((box.engine.schedule.active->front() == ScheduleInterval{3600s, 7200s}));
  BOOST_TEST(box.engine.trust_store.empty());

  BOOST_REQUIRE(s.vantages.size() == 2u);
  BOOST_TEST(s.vantages[0].kind == "vps");
  BOOST_TEST(s.vantages[0].attach == "r1");
  BOOST_TEST((s.vantages[0].uplink.delay == Duration(250us)));
  BOOST_TEST(s.vantages[0].uplink.rate_bps == 100'000'000u);
  BOOST_TEST(s.vantages[1].uplink.loss == 0.5);
  BOOST_TEST((s.vantages[1].uplink.delay == Duration(250us)));  // the rest from /defaults/uplink

  const ScenarioServer& bank = server_named(s, "bank.example.kz");
  BOOST_TEST((bank.kind == CertKind::vhost));
  BOOST_TEST(bank.issuer == "mitmlab Fictional Root B");
  BOOST_TEST(bank.port == 8443);
  BOOST_TEST(bank.group.empty());
  BOOST_TEST((bank.uplink.delay == Duration(250us)));
  const ScenarioServer& old = server_named(s, "old.example.kz");
  BOOST_TEST((old.kind == CertKind::expired));
  BOOST_TEST(old.issuer.empty());
  BOOST_TEST(old.port == 443);
  BOOST_TEST((old.uplink.delay == Duration(3ms)));
  BOOST_TEST(old.uplink.rate_bps == 100'000'000u);

  BOOST_TEST(s.pki.roots ==
             (std::vector<std::string>{"mitmlab Fictional Root A", "mitmlab Fictional Root B"}));
  BOOST_TEST(s.pki.client_trusts == std::vector<std::string>{"mitmlab Fictional Root A"});
  BOOST_TEST(s.pki.box_trusts == s.pki.roots);  // default: all roots
  BOOST_TEST(s.pki.key == "rsa-2048");

  BOOST_REQUIRE(s.jobs.size() == 4u);
  const ScenarioJob& scan = s.jobs[0];
  BOOST_TEST((scan.kind == JobKind::scan));
  BOOST_TEST((scan.at == Duration(30min)));  // calendar time → offset from start
  BOOST_TEST(scan.vantage == "us-vps");
  BOOST_TEST(scan.scan.hosts.groups == std::vector<std::string>{"kz"});
  BOOST_TEST(scan.scan.hosts.servers == std::vector<std::string>{"bank.example.kz"});
  BOOST_TEST(!scan.scan.hosts.all);
  BOOST_TEST((scan.scan.hosts.sample == std::optional<std::size_t>(5)));
  BOOST_TEST(scan.scan.snis == (std::vector<std::string>{"www.facebook.com", "www.google.com"}));
  BOOST_TEST(scan.scan.control_sni.empty());
  BOOST_TEST(scan.scan.profile == "openssl-default");
  BOOST_TEST(scan.scan.concurrency == 7u);
  BOOST_TEST(scan.scan.retries == 0u);
  BOOST_TEST((scan.scan.timeout == Duration(3s)));
  BOOST_TEST((scan.scan.stop == ProbeStop::certificate));
  const ScenarioJob& trace = s.jobs[1];
  BOOST_TEST((trace.kind == JobKind::trace));
  BOOST_TEST((trace.at == Duration(1h)));
  BOOST_TEST(trace.trace.hosts.from_job == "scan-us");
  BOOST_TEST(trace.trace.hosts.verdict == "injected");
  BOOST_TEST(trace.trace.control_sni == "example.org");
  BOOST_TEST(trace.trace.mode == "socket");
  BOOST_TEST(trace.trace.max_ttl == 20u);
  BOOST_TEST(trace.trace.rtt_multiplier == 3.0);
  BOOST_TEST(trace.trace.queries == 2u);
  BOOST_TEST(trace.trace.concurrency == 2u);
  const ScenarioJob& fetch = s.jobs[2];
  BOOST_TEST((fetch.at == Duration(2h)));
  BOOST_TEST(fetch.fetch.server == "bank.example.kz");
  BOOST_TEST(fetch.fetch.sni == "bank.example.kz");  // default: the server's name
  BOOST_TEST(fetch.fetch.path == "/login");
  BOOST_TEST(!fetch.fetch.trust_fake_root);
  const ScenarioJob& hellos = s.jobs[3];
  BOOST_TEST((hellos.kind == JobKind::fingerprint));
  BOOST_TEST((hellos.at == Duration::zero()));
  BOOST_TEST(hellos.vantage.empty());
  BOOST_TEST((hellos.fingerprint.duration == Duration(5min)));
}

BOOST_AUTO_TEST_CASE(groups_expand_after_listed_servers) {
  Scenario s = parse_ok(kFull);
  BOOST_REQUIRE(s.servers.size() == 2u + 12u + 10u);
  BOOST_TEST(s.servers[0].name == "bank.example.kz");
  BOOST_TEST(s.servers[1].name == "old.example.kz");
  // Group "kz": 12 servers, so two digits; addresses from 2.72.0.1 (2.72.0.0 is skipped).
  const ScenarioServer& first = s.servers[2];
  BOOST_TEST(first.name == "kz-01.hosts.example.kz");
  BOOST_TEST(first.group == "kz");
  BOOST_TEST(first.attach == "r4");
  BOOST_TEST(first.as == "AS9198");
  BOOST_TEST((first.kind == CertKind::trusted));
  BOOST_TEST(first.port == 443);
  BOOST_TEST(s.servers[13].name == "kz-12.hosts.example.kz");
  BOOST_TEST((first.address == Ipv4Address(2, 72, 0, 1)));
  BOOST_TEST((s.servers[13].address == Ipv4Address(2, 72, 0, 12)));
  BOOST_TEST(s.servers[14].name == "mix-01.mix.example");  // default domain "<group>.example"
  BOOST_TEST((s.servers[14].address == Ipv4Address(5, 0, 0, 1)));  // 5.0.0.0 skipped
  BOOST_TEST((s.servers[23].address == Ipv4Address(5, 0, 0, 10)));
  BOOST_TEST(s.servers[14].uplink.rate_bps == 1'000'000u);
  BOOST_TEST((s.servers[14].uplink.delay == Duration(250us)));
}

BOOST_AUTO_TEST_CASE(group_kinds_are_allotted_interleaved_and_deterministic) {
  Scenario s = parse_ok(kFull);
  std::vector<CertKind> kinds;
  for (const ScenarioServer& server : s.servers) {
    if (server.group == "mix") kinds.push_back(server.kind);
  }
  BOOST_REQUIRE(kinds.size() == 10u);
  // 6:3:1 of 10 is exactly 6, 3, 1.
  BOOST_TEST(std::count(kinds.begin(), kinds.end(), CertKind::trusted) == 6);
  BOOST_TEST(std::count(kinds.begin(), kinds.end(), CertKind::self_signed) == 3);
  BOOST_TEST(std::count(kinds.begin(), kinds.end(), CertKind::down) == 1);
  // Interleaved: not the blocked order the mix is written in.
  std::vector<CertKind> blocked(6, CertKind::trusted);
  blocked.insert(blocked.end(), 3, CertKind::self_signed);
  blocked.push_back(CertKind::down);
  BOOST_TEST((kinds != blocked));
  // Deterministic: the same text gives the same assignment; another seed gives another.
  Scenario again = parse_ok(kFull);
  for (std::size_t i = 0; i < s.servers.size(); ++i) {
    BOOST_TEST((s.servers[i].kind == again.servers[i].kind));
    BOOST_TEST((s.servers[i].address == again.servers[i].address));
    BOOST_TEST(s.servers[i].name == again.servers[i].name);
  }
  json other = json::parse(kFull, nullptr, true, true);
  bool differs = false;
  for (std::uint64_t seed = 1; seed <= 5 && !differs; ++seed) {
    other["seed"] = seed;
    Scenario o = parse_ok(other.dump());
    for (std::size_t i = 0; i < o.servers.size(); ++i)
      differs = differs || o.servers[i].kind != s.servers[i].kind;
  }
  BOOST_TEST(differs, "the shuffle depends on the seed");
}

BOOST_AUTO_TEST_CASE(largest_remainder_allotment) {
  json doc = json::parse(kFull, nullptr, true, true);
  // 7 servers at 1:1:1: shares 2.33 each, the one left over goes to the first in file order.
  doc["server_groups"][1]["count"] = 7;
  doc["server_groups"][1]["mix"] = json::parse(
      R"([{"kind": "no_tls", "weight": 1}, {"kind": "vhost", "weight": 1}, {"kind": "unknown_root", "weight": 1}])");
  Scenario s = parse_ok(doc.dump());
  std::map<CertKind, int> counts;
  for (const ScenarioServer& server : s.servers) {
    if (server.group == "mix") ++counts[server.kind];
  }
  BOOST_TEST(counts[CertKind::no_tls] == 3);
  BOOST_TEST(counts[CertKind::vhost] == 2);
  BOOST_TEST(counts[CertKind::unknown_root] == 2);
  BOOST_TEST(server_named(s, "mix-7.mix.example").group == "mix");  // width 1 for 7
}

BOOST_AUTO_TEST_CASE(group_addresses_skip_0_and_255) {
  json doc = json::parse(kFull, nullptr, true, true);
  doc["server_groups"][0]["prefix"] = "2.80.0.0/23";
  doc["server_groups"][0]["count"] = 256;
  doc["jobs"][3]["server"] = "kz-001.hosts.example.kz";
  Scenario s = parse_ok(doc.dump());
  std::vector<Ipv4Address> addresses;
  for (const ScenarioServer& server : s.servers) {
    if (server.group == "kz") addresses.push_back(server.address);
  }
  BOOST_REQUIRE(addresses.size() == 256u);
  BOOST_TEST((addresses.front() == Ipv4Address(2, 80, 0, 1)));
  BOOST_TEST((addresses[253] == Ipv4Address(2, 80, 0, 254)));
  BOOST_TEST((addresses[254] == Ipv4Address(2, 80, 1, 1)));
  BOOST_TEST((addresses.back() == Ipv4Address(2, 80, 1, 2)));
  BOOST_TEST(server_named(s, "kz-001.hosts.example.kz").group == "kz");
  BOOST_TEST(server_named(s, "kz-256.hosts.example.kz").group == "kz");
}

BOOST_AUTO_TEST_CASE(minimal_fixture_and_defaults) {
  std::filesystem::path file =
      std::filesystem::path(MITMLAB_FIXTURES) / "scenarios" / "minimal.json";
  auto loaded = load_scenario(file);
  BOOST_REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? std::string() : loaded.message()));
  const Scenario& s = *loaded;
  BOOST_TEST(s.source == file);
  BOOST_TEST(s.name == "minimal");
  BOOST_TEST(s.routers.size() == 3u);
  BOOST_TEST(s.links.size() == 2u);
  BOOST_REQUIRE(s.bumps.size() == 1u);
  BOOST_TEST(s.bumps[0].a == "r2");
  BOOST_TEST(s.bumps[0].engine.seed == derive_seed(7, "bump/box"));
  BOOST_TEST(!s.bumps[0].engine.schedule.active.has_value());
  BOOST_TEST(s.vantages.size() == 1u);
  BOOST_TEST(s.vantages[0].kind == "vps");
  BOOST_TEST((s.vantages[0].uplink == LinkProperties{}));
  BOOST_REQUIRE(s.servers.size() == 7u);
  BOOST_TEST(s.servers[2].name == "hosts-1.hosts.example");
  BOOST_TEST((s.servers[2].address == Ipv4Address(10, 3, 0, 1)));
  BOOST_TEST(s.servers[6].name == "hosts-5.hosts.example");
  BOOST_TEST((s.servers[6].kind == CertKind::trusted));
  BOOST_REQUIRE(s.groups.size() == 1u);
  BOOST_TEST(s.groups[0].domain == "hosts.example");
  BOOST_REQUIRE(s.groups[0].mix.size() == 1u);
  BOOST_TEST((s.groups[0].mix[0].kind == CertKind::trusted));
  BOOST_TEST(s.pki.roots == std::vector<std::string>{"mitmlab Fictional Root CA A"});
  BOOST_TEST(s.pki.client_trusts == s.pki.roots);
  BOOST_TEST(s.pki.box_trusts == s.pki.roots);
  BOOST_TEST(s.pki.key == "ec-p256");
  BOOST_REQUIRE(s.jobs.size() == 1u);
  BOOST_TEST((s.jobs[0].at == Duration(1s)));
  BOOST_TEST(s.jobs[0].scan.hosts.all);
  BOOST_TEST(s.jobs[0].scan.profile == "zgrab2-2019");
  BOOST_TEST(s.jobs[0].scan.concurrency == 100u);
  BOOST_TEST(s.jobs[0].scan.retries == 2u);
  BOOST_TEST((s.jobs[0].scan.timeout == Duration(10s)));
  BOOST_TEST((s.jobs[0].scan.stop == ProbeStop::finished));
  BOOST_TEST((s.end == Duration::zero()));
  BOOST_TEST(s.shards == 1u);
}

BOOST_AUTO_TEST_CASE(shards_are_read) {
  std::ifstream in(std::filesystem::path(MITMLAB_FIXTURES) / "scenarios" / "minimal.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text.insert(text.find('{') + 1, "\"shards\": 4,");  // the file may open with a comment
  auto parsed = parse_scenario(text, "shards.json");
  BOOST_REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? std::string() : parsed.message()));
  BOOST_TEST(parsed->shards == 4u);
}

// Each broken input: a change to the full example, the pointer its error must name, and a
// word of what was expected.
struct Broken {
  std::string label;
  std::function<void(json&)> change;
  std::string pointer;
  std::string what;
};

BOOST_AUTO_TEST_CASE(broken_inputs_name_file_and_pointer) {
  auto set = [](std::string ptr, json value) {
    return [ptr, value](json& d) { d[json::json_pointer(ptr)] = value; };
  };
  const std::vector<Broken> cases = {
      {"unknown top-level key", set("/nmae", "x"), "/nmae", "unknown field 'nmae'"},
      {"unknown link key", set("/links/2/dealy", "5ms"), "/links/2/dealy",
       "known here: a, b, delay"},
      {"unknown engine key", set("/bumps/0/engine/targetz", json::array()),
       "/bumps/0/engine/targetz", "unknown field"},
      {"missing name", [](json& d) { d.erase("name"); }, "at /", "missing field 'name'"},
      {"bad scenario name", set("/name", "My Scenario"), "/name", "output folder"},
      {"zero shards", set("/shards", 0), "/shards", "integer"},
      {"too many shards", set("/shards", 65), "/shards", "integer"},
      {"shards as text", set("/shards", "2"), "/shards", "integer"},
      {"missing start", [](json& d) { d.erase("start"); }, "at /", "missing field 'start'"},
      {"start not UTC", set("/start", "2019-07-21 10:00"), "/start", "UTC time"},
      {"wrong type", set("/routers/1/address", 5), "/routers/1/address", "IPv4 address"},
      {"bad address", set("/vantages/0/address", "198.51.100.256"), "/vantages/0/address", "> 255"},
      {"bad delay", set("/links/2/delay", "5 ms"), "/links/2/delay",
       "expected a duration like \"5ms\" or a number of seconds"},
      {"negative delay", set("/links/2/delay", -1), "/links/2/delay", "duration"},
      {"bad rate", set("/links/0/rate", "10MB"), "/links/0/rate", "rate"},
      {"loss above 1", set("/links/1/loss", 1.5), "/links/1/loss", "probability"},
      {"bad uplink", set("/vantages/1/uplink/reorder", "x"), "/vantages/1/uplink/reorder",
       "probability"},
      {"duplicate router", set("/routers/3/name", "r1"), "/routers/3/name",
       "already used by /routers/0"},
      {"duplicate vantage", set("/vantages/1/name", "us-vps"), "/vantages/1/name", "already used"},
      {"duplicate server", set("/servers/1/name", "bank.example.kz"), "/servers/1/name",
       "already used"},
      {"duplicate group", set("/server_groups/1/name", "kz"), "/server_groups/1/name",
       "already used"},
      {"duplicate bump", set("/bumps/1/name", "kz-box"), "/bumps/1/name", "already used"},
      {"duplicate job", set("/jobs/2/name", "scan-us"), "/jobs/2/name", "already used"},
      {"duplicate address", set("/servers/1/address", "88.204.195.89"), "/servers/1/address",
       "router 'r2'"},
      {"dangling router in a link", set("/links/1/b", "r9"), "/links/1/b", "no router named 'r9'"},
      {"self link", set("/links/2/a", "r4"), "/links/2/b", "to itself"},
      {"duplicate link",
       [](json& d) {
         d["links"][2]["a"] = "r2";
         d["links"][2]["b"] = "r1";
       },
       "/links/2", "already linked by /links/0"},
      {"bump on a missing link", set("/bumps/0/link", json::array({"r1", "r4"})), "/bumps/0/link",
       "no link between"},
      {"two bumps on one link", set("/bumps/1/link", json::array({"r3", "r4"})), "/bumps/1/link",
       "already has bump"},
      {"engine config error",
       set("/bumps/0/engine/targets", json::array({"a.kz", "b.kz", "c.kz", 5})),
       "/bumps/0/engine/targets/3", "expected a non-empty string"},
      {"engine not an object", set("/bumps/0/engine", 5), "/bumps/0/engine,", "object"},
      {"engine origin differs", set("/bumps/0/engine/schedule/origin", "2019-07-20T00:00:00Z"),
       "/bumps/0/engine/schedule/origin", "scenario's start"},
      {"engine trust store", set("/bumps/0/engine/trust_store", json::array({"roots.pem"})),
       "/bumps/0/engine/trust_store", "box_trusts"},
      {"listed servers of one site disagree on the uplink", set("/servers/1/attach", "r4"),
       "/servers/1/uplink", "share one site"},
      {"vantage on a missing router", set("/vantages/1/attach", "r7"), "/vantages/1/attach",
       "no router named 'r7'"},
      {"server on a missing router", set("/servers/0/attach", "r7"), "/servers/0/attach",
       "no router"},
      {"group on a missing router", set("/server_groups/0/attach", "r7"), "/server_groups/0/attach",
       "no router"},
      {"prefix too small", set("/server_groups/1/prefix", "5.0.0.0/29"), "/server_groups/1/prefix",
       "room for 7 servers"},
      {"prefix with host bits", set("/server_groups/1/prefix", "5.0.0.1/28"),
       "/server_groups/1/prefix", "host bits"},
      {"group collides", set("/servers/0/address", "5.0.0.3"), "/server_groups/1/prefix",
       "server 'bank.example.kz'"},
      {"bad mix kind", set("/server_groups/1/mix/2/kind", "broken"), "/server_groups/1/mix/2/kind",
       "certificate kind"},
      {"zero weight", set("/server_groups/1/mix/0/weight", 0), "/server_groups/1/mix/0/weight",
       "weight > 0"},
      {"bad cert kind", set("/servers/1/kind", "self-signed"), "/servers/1/kind", "self_signed"},
      {"duplicate root", set("/pki/roots/1", "mitmlab Fictional Root A"), "/pki/roots/1",
       "listed twice (first as /pki/roots/0)"},
      {"trust of a missing root", set("/pki/box_trusts", json::array({"Nope"})),
       "/pki/box_trusts/0", "no root named 'Nope'"},
      {"issuer of a missing root", set("/servers/0/issuer", "Nope"), "/servers/0/issuer",
       "no root named"},
      {"bad key", set("/pki/key", "dsa"), "/pki/key", "ec-p256"},
      {"bad job kind", set("/jobs/0/kind", "ping"), "/jobs/0/kind", "\"scan\""},
      {"key of another kind", set("/jobs/0/sni", "a.example"), "/jobs/0/sni",
       "unknown field 'sni'"},
      {"missing vantage", set("/jobs/2/vantage", "nowhere"), "/jobs/2/vantage", "no vantage named"},
      {"vantage in a fingerprint job", set("/jobs/3/vantage", "us-vps"), "/jobs/3/vantage",
       "unknown field"},
      {"at before start", set("/jobs/0/at", "2019-07-21T09:59:59Z"), "/jobs/0/at",
       "before the scenario's start"},
      {"at not a time", set("/jobs/0/at", "tomorrow"), "/jobs/0/at", "UTC time"},
      {"at after end", set("/jobs/1/at", "2d"), "/jobs/1/at", "end"},
      {"unknown group in selector", set("/jobs/0/hosts/groups/0", "zz"), "/jobs/0/hosts/groups/0",
       "no server group"},
      {"unknown server in selector", set("/jobs/0/hosts/servers/0", "x.kz"),
       "/jobs/0/hosts/servers/0", "no server"},
      {"from_job naming a later job", set("/jobs/1/hosts/from_job", "fetch"),
       "/jobs/1/hosts/from_job", "listed before"},
      {"bad verdict", set("/jobs/1/hosts/verdict", "intercepted"), "/jobs/1/hosts/verdict",
       "tls-failure"},
      {"no host source", set("/jobs/0/hosts", json::object()), "/jobs/0/hosts", "no hosts chosen"},
      {"bad trace mode", set("/jobs/1/mode", "udp"), "/jobs/1/mode", "\"raw\" or \"socket\""},
      {"bad profile", set("/jobs/0/profile", "chrome"), "/jobs/0/profile", "zgrab2-2019"},
      {"bad stop_at", set("/jobs/0/stop_at", "server-hello"), "/jobs/0/stop_at",
       "\"finished\" or \"certificate\""},
      {"fetch of a missing server", set("/jobs/2/server", "nope.example"), "/jobs/2/server",
       "no server named"},
      {"fingerprint of a missing server", set("/jobs/3/server", "kz-13.hosts.example.kz"),
       "/jobs/3/server", "no server"},
      {"empty snis", set("/jobs/0/snis", json::array()), "/jobs/0/snis", "at least one"},
      {"disconnected graph", [](json& d) { d["links"].erase(1); }, "/routers/2",
       "router 'r3' cannot be reached from vantage 'us-vps'"},
  };
  for (const Broken& c : cases) {
    json doc = json::parse(kFull, nullptr, true, true);
    c.change(doc);
    auto result = parse_scenario(doc.dump(), "broken.json");
    BOOST_TEST_CONTEXT(c.label) {
      BOOST_REQUIRE_MESSAGE(!result.ok(), c.label << ": expected an error");
      const std::string& m = result.message();
      BOOST_TEST_MESSAGE(m);
      BOOST_TEST(m.starts_with("scenario broken.json: "), m);
      std::string at = c.pointer.starts_with("at ") ? c.pointer : "at " + c.pointer;
      BOOST_TEST(contains(m, at), m);
      BOOST_TEST(contains(m, c.what), m);
    }
  }
}

BOOST_AUTO_TEST_CASE(from_job_must_be_a_scan) {
  json doc = json::parse(kFull, nullptr, true, true);
  // A trace listed after another trace cannot take its hosts from it.
  doc["jobs"].push_back(
      json::parse(R"({"name": "trace2", "kind": "trace", "at": 7200, "vantage": "us-vps",
                                        "hosts": {"from_job": "trace-us", "verdict": "ok"}})"));
  auto result = parse_scenario(doc.dump(), "broken.json");
  BOOST_REQUIRE(!result.ok());
  BOOST_TEST(contains(result.message(), "at /jobs/4/hosts/from_job"), result.message());
  // A scan listed before but scheduled after.
  doc = json::parse(kFull, nullptr, true, true);
  doc["jobs"][1]["at"] = 60;
  result = parse_scenario(doc.dump(), "broken.json");
  BOOST_REQUIRE(!result.ok());
  BOOST_TEST(contains(result.message(),
                      "scan job 'scan-us' starts after this job at /jobs/1/hosts/from_job"),
             result.message());
}

BOOST_AUTO_TEST_CASE(missing_file_and_invalid_json) {
  auto missing = load_scenario("/nonexistent/dir/teaching.json");
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.message() == "scenario /nonexistent/dir/teaching.json: cannot open the file");

  auto invalid = parse_scenario("{\n  \"name\": \"x\",\n  \"start\": }\n", "bad.json");
  BOOST_REQUIRE(!invalid.ok());
  BOOST_TEST(invalid.message().starts_with("scenario bad.json: not valid JSON: "),
             invalid.message());
  BOOST_TEST(contains(invalid.message(), "line 3, column 12"), invalid.message());

  // A repeated key would otherwise keep only its last value, silently.
  auto repeated = parse_scenario(
      R"({"name": "x", "start": "2019-07-21T10:00:00Z", "routers": [{"name": "r1", "address": "10.0.0.1"},
          {"name": "r2", "address": "10.0.0.2", "name": "r3"}]})",
      "twice.json");
  BOOST_REQUIRE(!repeated.ok());
  BOOST_TEST(repeated.message() ==
             "scenario twice.json: key 'name' appears twice in one object at /routers/1/name");

  for (std::string_view text : {"", "[]", "null", "{\"name\": 5}", "{} trailing"}) {
    auto r = parse_scenario(text, "odd.json");
    BOOST_TEST(!r.ok(), text);
    if (!r.ok()) BOOST_TEST(r.message().starts_with("scenario odd.json: "), r.message());
  }
}

// The example in scenarios/README.md is a real scenario: it must keep parsing.
BOOST_AUTO_TEST_CASE(readme_example_parses) {
  std::ifstream in(std::filesystem::path(MITMLAB_SOURCE_DIR) / "scenarios" / "README.md");
  BOOST_REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  std::size_t begin = doc.find("```json\n");
  BOOST_REQUIRE(begin != std::string::npos);
  begin += 8;
  std::size_t end = doc.find("```", begin);
  BOOST_REQUIRE(end != std::string::npos);
  auto parsed = parse_scenario(std::string_view(doc).substr(begin, end - begin), "README.md");
  BOOST_REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? std::string() : parsed.message()));
  BOOST_TEST(parsed->name == "example");
  BOOST_TEST(parsed->servers.size() == 201u);
  BOOST_TEST(parsed->servers[1].name == "kz-001.kz.example");
  BOOST_TEST((parsed->bumps[0].engine.schedule.active->front() == ScheduleInterval{0s, 2h}));
  BOOST_TEST((parsed->jobs[0].at == Duration(5min)));
}

// Every field of the full example replaced by values of every other type: each parse ends in
// a value or in one error naming the file and a pointer, never in an exception.
BOOST_AUTO_TEST_CASE(odd_values_anywhere_give_errors_not_exceptions) {
  const json full = json::parse(kFull, nullptr, true, true);
  const std::vector<json> odd = {nullptr,       -1, 0, 1e300, "", "x", true, json::array(),
                                 json::object()};
  std::size_t errors = 0, parses = 0;
  const json leaves = full.flatten();  // a named value: items() refers to it
  for (const auto& [path, value] : leaves.items()) {
    for (const json& replacement : odd) {
      json doc = full;
      doc[json::json_pointer(path)] = replacement;
      std::optional<Result<Scenario>> result;
      BOOST_CHECK_NO_THROW(result.emplace(parse_scenario(doc.dump(), "odd.json")));
      ++parses;
      if (!result || result->ok()) continue;
      ++errors;
      const std::string& m = result->message();
      BOOST_TEST((m.starts_with("scenario odd.json: ") && contains(m, " at /")), path << ": " << m);
    }
  }
  BOOST_TEST(parses > 1000u);
  BOOST_TEST(errors > parses / 2);
}

// Every scenario file shipped in scenarios/ must load.
BOOST_AUTO_TEST_CASE(shipped_scenarios_load) {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(
           std::filesystem::path(MITMLAB_SOURCE_DIR) / "scenarios")) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    auto loaded = load_scenario(entry.path());
    BOOST_TEST(loaded.ok(), entry.path().string() << ": " << (loaded.ok() ? "" : loaded.message()));
  }
  BOOST_TEST(files >= 1u);
}

BOOST_AUTO_TEST_CASE(repeated_jobs_expand_in_place) {
  json doc = json::parse(kFull, nullptr, true, true);
  const std::size_t before = doc["jobs"].size();
  // Every 6 h from 1 h up to 20 h inclusive: 1, 7, 13 and 19 h.
  doc["jobs"].push_back(json::parse(R"({"name": "scan-6h", "kind": "scan", "at": "1h", "vantage": "us-vps",
      "hosts": {"all": true}, "snis": ["facebook.com"], "repeat": {"every": "6h", "until": "20h"}})"));
  doc["jobs"].push_back(json::parse(R"({"name": "scan-n", "kind": "scan", "at": "2019-07-21T11:00:00Z",
      "vantage": "us-vps", "hosts": {"all": true}, "snis": ["facebook.com"], "repeat": {"every": 60, "count": 10}})"));
  Scenario s = parse_ok(doc.dump());
  BOOST_REQUIRE_EQUAL(s.jobs.size(), before + 4 + 10);
  const std::vector<std::string> names = {"scan-6h-1", "scan-6h-2", "scan-6h-3", "scan-6h-4"};
  for (std::size_t k = 0; k < 4; ++k) {
    const ScenarioJob& j = s.jobs[before + k];
    BOOST_TEST(j.name == names[k]);
    BOOST_TEST(j.at.count() == std::chrono::nanoseconds(std::chrono::hours(1 + 6 * k)).count());
    BOOST_TEST((j.kind == JobKind::scan));
    BOOST_TEST((j.scan.snis == std::vector<std::string>{"facebook.com"}));
  }
  // Ten copies: two-digit numbers, one minute apart from 1 h after the start.
  BOOST_TEST(s.jobs[before + 4].name == "scan-n-01");
  BOOST_TEST(s.jobs.back().name == "scan-n-10");
  BOOST_TEST(s.jobs.back().at.count() == std::chrono::nanoseconds(std::chrono::seconds(3600 + 9 * 60)).count());

  auto broken = [&](json repeat, std::string_view where, std::string_view what) {
    json d = json::parse(kFull, nullptr, true, true);
    json job = json::parse(R"({"name": "scan-r", "kind": "scan", "at": "2h", "vantage": "us-vps",
        "hosts": {"all": true}, "snis": ["facebook.com"]})");
    job["repeat"] = repeat;
    d["jobs"].push_back(job);
    auto result = parse_scenario(d.dump(), "broken.json");
    BOOST_REQUIRE(!result.ok());
    BOOST_TEST(contains(result.message(), where), result.message());
    BOOST_TEST(contains(result.message(), what), result.message());
  };
  const std::string at = fmt::format("/jobs/{}/repeat", before);
  broken(json::parse(R"({"every": "1h"})"), at, "exactly one of \"until\" and \"count\"");
  broken(json::parse(R"({"every": "1h", "until": "3h", "count": 2})"), at, "exactly one of");
  broken(json::parse(R"({"every": "1h", "until": "1h"})"), at + "/until", "before the job's \"at\"");
  broken(json::parse(R"({"every": 0, "count": 2})"), at + "/every", "a duration > 0");
  broken(json::parse(R"({"evry": "1h", "count": 2})"), at + "/evry", "unknown field 'evry'");
  // Copies are checked like any job: the last of 30 hourly copies starts after "end" (1d).
  broken(json::parse(R"({"every": "1h", "count": 30})"), "/jobs/", "end");
}

// snis_file: many candidate names (the 2019 search tried ~10,000), relative to the scenario
// file, appended to "snis"; comments and blank lines skipped; bad or repeated names refused
// with the file's line.
BOOST_AUTO_TEST_CASE(snis_file_is_read_relative_to_the_scenario) {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("mitmlab-snis-{}", ::getpid());
  std::filesystem::create_directories(dir / "lists");
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name, std::ios::binary) << text;
  };
  auto load_with = [&](const json& scan_fields) {
    json doc = json::parse(kFull, nullptr, true, true);
    doc["jobs"][0].erase("snis");
    for (const auto& [k, v] : scan_fields.items()) doc["jobs"][0][k] = v;
    write("scenario.json", doc.dump());
    return load_scenario(dir / "scenario.json");
  };

  write("lists/names.txt", "# candidates\nfacebook.com\n\n  vk.com \r\nwww.example.org\n");
  auto only_file = load_with({{"snis_file", "lists/names.txt"}});
  BOOST_REQUIRE_MESSAGE(only_file.ok(), (only_file.ok() ? std::string() : only_file.message()));
  BOOST_TEST(only_file->jobs[0].scan.snis == (std::vector<std::string>{"facebook.com", "vk.com", "www.example.org"}));

  auto both = load_with({{"snis", {"google.com"}}, {"snis_file", "lists/names.txt"}});
  BOOST_REQUIRE_MESSAGE(both.ok(), (both.ok() ? std::string() : both.message()));
  BOOST_TEST(both->jobs[0].scan.snis ==
             (std::vector<std::string>{"google.com", "facebook.com", "vk.com", "www.example.org"}));

  auto repeated = load_with({{"snis", {"vk.com"}}, {"snis_file", "lists/names.txt"}});
  BOOST_REQUIRE(!repeated.ok());
  BOOST_TEST(contains(repeated.message(), "names.txt line 4: \"vk.com\" is given twice at /jobs/0/snis_file"),
             repeated.message());

  write("lists/bad.txt", "facebook.com\nNot A Name\n");
  auto bad = load_with({{"snis_file", "lists/bad.txt"}});
  BOOST_REQUIRE(!bad.ok());
  BOOST_TEST(contains(bad.message(), "bad.txt line 2: expected a lower-case host name"), bad.message());
  BOOST_TEST(contains(bad.message(), "at /jobs/0/snis_file"), bad.message());

  auto missing = load_with({{"snis_file", "lists/none.txt"}});
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST(contains(missing.message(), "cannot open the SNI file"), missing.message());

  write("lists/empty.txt", "# nothing\n\n");
  auto empty = load_with({{"snis_file", "lists/empty.txt"}});
  BOOST_REQUIRE(!empty.ok());
  BOOST_TEST(contains(empty.message(), "at least one test SNI at /jobs/0/snis_file"), empty.message());

  auto neither = load_with(json::object());
  BOOST_REQUIRE(!neither.ok());
  BOOST_TEST(contains(neither.message(), "missing field 'snis' at /jobs/0"), neither.message());
  std::filesystem::remove_all(dir);
}
