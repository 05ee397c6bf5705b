// summary.json and the human summary (summary.txt, also printed by `mitmlab run`) of a run.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sim/run-results.h"

namespace mitmlab {

// {"scenario", "seed", "start", "sim_seconds", "jobs": [one object per job in scenario
// order], "bumps": [{name, link, counters}]}. Scan jobs: name, kind, vantage, snis,
// control_sni, hosts, intercepted, truth_intercepted, precision, recall (and the counts
// behind them); trace jobs: name, kind, vantage, mode, sni, hosts, localized, before_server,
// hops_before_server, hop_pairs, accuracy; fetch and fingerprint jobs: what they saw.
nlohmann::json summary_json(const RunResults& results);

// One fetch job's entry (summary.json's jobs[] and fetch.jsonl).
nlohmann::json to_json(const FetchJobResult& fetch);

// A short account for a person: per job what was measured and how it compares with ground
// truth, the first forged certificate beside its original (field by field), each traced
// host's path printed like a traceroute with the line where injection occurred (only the
// first `max_traceroutes` hosts of each trace job), the fetch through the box and the
// fingerprints.
std::string describe_run(const RunResults& results, std::size_t max_traceroutes = 3);

// The traceroute of one traced host, with the injection line.
std::string format_traceroute(const TraceResult& result, const std::string& test_sni,
                              const std::string& control_sni);

}  // namespace mitmlab
