// Scoring the tools against ground truth. The tools (Scan, Localizer) never see ground truth;
// after a job, its verdicts are compared here with what the bumps actually did (their
// "hijack" events) and where they sit on each path (the installed routes).
//
// Definitions (also in scenarios/README.md, "Outputs"):
// - A scan record (host, port, test SNI) is truly intercepted when some bump hijacked a flow
//   from the job's vantage address to that host and port with that SNI while the job ran.
//   Precision = true "injected" records / all "injected" records; recall = true "injected"
//   records / truly intercepted records; null when the denominator is 0. `intercepted` and
//   `truth_intercepted` count hosts (any test SNI).
// - A traced host's true injection point is the position of the first bump on its path that
//   hijacked one of the job's flows to it with the trace's test SNI: the router hop before and
//   after that bump. The localizer matches when it says "injected-before-server" or
//   "at-server" with the same hop_before and hop_after. accuracy = matching hosts / hosts
//   that the truth or the tool calls injected (null when none).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "net/clock.h"
#include "net/ipv4-address.h"
#include "nlohmann/json_fwd.hpp"
#include "scanner/localizer.h"
#include "scanner/scan-record.h"

namespace mitmlab {

// One flow a bump took over (from its event log).
struct HijackedFlow {
  std::string bump;
  Timestamp time{};
  Ipv4Address client;
  std::uint16_t client_port = 0;
  Ipv4Address server;
  std::uint16_t server_port = 0;
  std::string sni;
};

// A bump on a path: the router hops either side of it (none at the path's ends).
struct PathBump {
  std::string name;
  std::size_t hops_before = 0;  // router hops between the vantage and the bump
  std::optional<Ipv4Address> hop_before, hop_after;
};

// The forwarding path from a vantage to a server, as the installed routes make it.
struct PathTruth {
  std::vector<Ipv4Address> hops;  // router addresses in order (not the ends)
  std::vector<PathBump> bumps;    // in path order
};

struct ScanScore {
  std::size_t hosts = 0;
  std::size_t records = 0;
  std::size_t intercepted = 0;        // hosts with an "injected" record
  std::size_t truth_intercepted = 0;  // hosts truly intercepted
  std::size_t true_positives = 0, false_positives = 0, false_negatives = 0;  // records
  std::optional<double> precision, recall;
};

ScanScore score_scan(const std::vector<ScanRecord>& records, Ipv4Address vantage,
                     const std::vector<HijackedFlow>& hijacks_during_job);

struct HopPairCount {
  std::optional<Ipv4Address> before, after;
  std::size_t count = 0;
};

struct TraceScore {
  std::size_t hosts = 0;
  std::size_t localized = 0;      // "injected-before-server" or "at-server"
  std::size_t before_server = 0;  // "injected-before-server"
  std::map<unsigned, std::size_t> hops_before_server;
  std::vector<HopPairCount> hop_pairs;  // most frequent first, then by address
  std::size_t truth_injected = 0;
  std::size_t matched = 0;
  std::optional<double> accuracy;
};

// `paths` maps a host address to its path from the job's vantage.
TraceScore score_trace(const std::vector<TraceResult>& results, Ipv4Address vantage,
                       const std::string& sni, const std::vector<HijackedFlow>& hijacks_during_job,
                       const std::map<Ipv4Address, PathTruth>& paths);

// The true injection point of one host, if any (exposed for ground_truth.jsonl and tests).
std::optional<PathBump> true_injection_point(Ipv4Address host, Ipv4Address vantage,
                                             const std::string& sni,
                                             const std::vector<HijackedFlow>& hijacks,
                                             const PathTruth& path);

// JSON forms used in summary.json (null for absent optionals).
nlohmann::json to_json(const ScanScore& score);
nlohmann::json to_json(const TraceScore& score);

}  // namespace mitmlab
