// A scenario: one world (routers, links, bumps, vantage points, servers, a fictional public
// PKI) and one measurement plan (jobs at calendar times), as read from a scenario file
// (scenarios/README.md documents every field). Plain values, no ns-3: sim/world-builder.h
// turns a Scenario into nodes; sim/scenario-run.h runs its jobs.
//
// Time: `start` is the calendar time (UTC) of simulation time 0. Every job's `at` is an
// offset from it (the file may give either an ISO-8601 calendar time or seconds); the
// bumps' engine schedules use the same origin.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "interceptor/engine-config.h"
#include "net/clock.h"
#include "net/ipv4-address.h"
#include "net/result.h"
#include "scanner/probe-stop.h"
#include "sim/report-spec.h"

namespace mitmlab {

// An IPv4 prefix such as 2.72.0.0/16 (the host bits of `network` are zero).
struct Ipv4Prefix {
  Ipv4Address network;
  unsigned length = 32;
  bool contains(Ipv4Address a) const;
  std::uint64_t size() const { return std::uint64_t{1} << (32 - length); }
  std::string to_string() const;
  static Result<Ipv4Prefix> parse(std::string_view text);  // "a.b.c.d/n"
  friend bool operator==(const Ipv4Prefix&, const Ipv4Prefix&) = default;
};

// A router answers traceroute with `address`: every interface it has carries it (links are
// unnumbered), so the hop addresses of facts §6 appear exactly as written.
struct ScenarioRouter {
  std::string name;
  Ipv4Address address;
  std::string as;  // autonomous system label, e.g. "AS9198"; informational
};

// Link properties shared by router links, vantage uplinks and server-site uplinks.
struct LinkProperties {
  Duration delay = std::chrono::milliseconds(1);  // one way
  std::uint64_t rate_bps = 1'000'000'000;
  double loss = 0.0;         // probability a packet is dropped, each direction
  double reorder = 0.0;      // probability a packet is held back by reorder_delay
  Duration reorder_delay = std::chrono::milliseconds(5);
  std::uint32_t cost = 1;    // routing metric (shortest total cost wins; ties: see builder)
  friend bool operator==(const LinkProperties&, const LinkProperties&) = default;
};

struct ScenarioLink {
  std::string a, b;  // router names
  LinkProperties properties;
};

// A bump in the wire on the link between routers a and b. Packets from a's side reach the
// engine as LinkSide::kA. `engine.seed` defaults to a value derived from the scenario seed
// and the bump's name; `engine.schedule` is in scenario time.
struct ScenarioBump {
  std::string name;
  std::string a, b;  // must name an existing link
  EngineConfig engine;
};

struct ScenarioVantage {
  std::string name;
  std::string kind = "vps";  // "vps", "atlas-probe", "remote", ...: informational
  Ipv4Address address;
  std::string attach;  // router name
  LinkProperties uplink;
};

enum class CertKind {
  trusted,       // a leaf for the server's name from a trusted fictional root
  vhost,         // a different trusted leaf per SNI (virtual hosting): a control/test mismatch
  self_signed,   // the same self-signed leaf for every SNI
  expired,       // issued by a trusted root but expired at the scenario's start
  unknown_root,  // issued by a root nobody in the scenario trusts
  no_tls,        // the address answers TCP with a RST on 443 (no listener)
  down,          // the address does not answer at all
};
std::string_view cert_kind_name(CertKind kind);
std::optional<CertKind> parse_cert_kind(std::string_view name);

// One server. Generated servers get names "<group>-<index>.<domain>".
struct ScenarioServer {
  std::string name;  // its host name: the CN/SAN of its own certificate
  Ipv4Address address;
  std::string attach;  // router the server's site hangs off
  std::string as;
  std::string group;   // "" for servers listed one by one
  CertKind kind = CertKind::trusted;
  std::string issuer;  // the fictional root that issues it ("" = the PKI's first root)
  std::uint16_t port = 443;
  // Its site's link to `attach`: a group's servers carry the group's uplink; the servers
  // listed at one router share one site, and the parser checks they give the same uplink.
  LinkProperties uplink;
};

struct CertMix {
  CertKind kind;
  double weight;  // relative; counts are allotted by largest remainder, in file order
};

struct ServerGroup {
  std::string name;
  std::size_t count = 0;
  std::string as;
  std::string attach;
  Ipv4Prefix prefix;   // addresses are allocated from it in order, skipping .0 and .255
  std::string domain;  // default "<group>.example"
  std::vector<CertMix> mix;  // default: all trusted
  LinkProperties uplink;
};

// The simulated public PKI: clearly fictional roots ("mitmlab Fictional Root A"). Servers
// with trusted/vhost/expired certificates are issued by `issuer` or the first root; the
// unknown-root kind uses a root of its own that no one trusts.
struct ScenarioPki {
  std::vector<std::string> roots;          // common names; default one root
  std::vector<std::string> client_trusts;  // scanners and fetch clients; default all roots
  std::vector<std::string> box_trusts;     // every bump's origin judge; default all roots
  std::string key = "ec-p256";             // server keys: "ec-p256" or "rsa-2048"
};

enum class JobKind { scan, trace, fetch, fingerprint };
std::string_view job_kind_name(JobKind kind);

// Which hosts a scan or trace job measures.
struct HostSelector {
  std::vector<std::string> groups;   // group names
  std::vector<std::string> servers;  // server names
  bool all = false;
  std::optional<std::size_t> sample;  // a seeded sample of that many, in address order
  // Hosts an earlier scan job judged with this verdict (the tool's own verdicts, never
  // ground truth), e.g. {from_job: "scan-kz", verdict: "injected"}.
  std::string from_job;
  std::string verdict;
};

struct ScanJobSpec {
  HostSelector hosts;
  std::vector<std::string> snis;     // test SNIs
  std::string control_sni;           // "" = no SNI
  std::string profile = "zgrab2-2019";
  std::size_t concurrency = 100;
  unsigned retries = 2;
  Duration timeout = std::chrono::seconds(10);
  ProbeStop stop = ProbeStop::finished;  // "stop_at": finish each handshake or stop at the chain
};

struct TraceJobSpec {
  HostSelector hosts;
  std::string sni = "www.facebook.com";
  std::string control_sni;  // "" = no SNI
  std::string mode = "raw";  // "raw" or "socket"
  unsigned max_ttl = 32;
  double rtt_multiplier = 2.5;
  unsigned queries = 3;  // tries of a TTL that drew nothing (scanner/localizer.h)
  std::size_t concurrency = 10;
};

struct FetchJobSpec {
  std::string server;  // server name
  std::string sni;     // default: the server's name
  std::string path = "/";
  bool trust_fake_root = true;  // the client trusts the bumps' fake root, as a user who installed it
};

struct FingerprintJobSpec {
  std::string server;  // every ClientHello this server receives in [at, at + duration)
  Duration duration = std::chrono::seconds(60);
};

struct ScenarioJob {
  std::string name;
  JobKind kind = JobKind::scan;
  Duration at{};  // offset from Scenario::start
  std::string vantage;  // not used by fingerprint
  ScanJobSpec scan;
  TraceJobSpec trace;
  FetchJobSpec fetch;
  FingerprintJobSpec fingerprint;
};

struct Scenario {
  std::string name;
  std::string description;
  std::filesystem::path source;  // the file it came from ("" when built in code)
  std::time_t start = 0;         // Unix seconds, UTC, of simulation time 0
  std::uint64_t seed = 1;
  Duration end{};                // stop the simulation here; 0: when the last job is done
  // The run simulates this many copies of the world, each with every K-th server (by index
  // in `servers`), in parallel processes (sim/sharded-run.h). Part of the model: results
  // depend on it, never on the machine.
  std::size_t shards = 1;
  std::vector<ScenarioRouter> routers;
  std::vector<ScenarioLink> links;
  std::vector<ScenarioBump> bumps;
  std::vector<ScenarioVantage> vantages;
  std::vector<ServerGroup> groups;
  // Every server: those listed one by one, then each group's generated ones (expanded by
  // the parser, so the world builder sees one flat list).
  std::vector<ScenarioServer> servers;
  ScenarioPki pki;
  std::vector<ScenarioJob> jobs;
  ReportSpec report;  // which jobs measure which published figure (sim/report-spec.h)
};

// A seed for one named part of a scenario, stable across platforms and runs:
// SipHash-2-4 keyed with the scenario seed (8 bytes little-endian, then 8 zero bytes) over
// `label`. The parser uses "bump/<name>" (a bump's engine seed when its engine object has
// none) and "group/<name>" (the order of a group's certificate kinds); other parts should
// use their own prefix ("job/<name>", ...).
std::uint64_t derive_seed(std::uint64_t scenario_seed, std::string_view label);

// Reads and validates a scenario file. Errors read
// "scenario <file>: <what> at <JSON pointer>" (e.g. "at /links/3/delay: expected ...").
// Nothing is built when this fails.
// `seed_override` replaces the file's seed (`mitmlab run --seed`).
Result<Scenario> load_scenario(const std::filesystem::path& file,
                               std::optional<std::uint64_t> seed_override = std::nullopt);
// The same from text; `source_name` is what errors call the input.
Result<Scenario> parse_scenario(std::string_view json_text, std::string_view source_name,
                                std::optional<std::uint64_t> seed_override = std::nullopt);

}  // namespace mitmlab
