// Which servers a scan or trace job measures (ScenarioJob's HostSelector), resolved when the
// job starts. A `from_job` selector reads the earlier scan job's own verdicts: the tools
// choose their next targets from what they measured, never from ground truth.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "net/result.h"
#include "scanner/scan-record.h"
#include "scanner/scan.h"
#include "sim/scenario.h"

namespace mitmlab {

// What a from_job selector reads of a finished scan's records: one per (host, test SNI).
// (Not the records themselves: a large run would hold every chain twice.)
struct HostVerdict {
  std::string address;
  std::uint16_t port = 443;
  Verdict verdict = Verdict::control_failed;
};
HostVerdict host_verdict(const ScanRecord& record);

// Verdicts of finished scan jobs, by job name.
using ScanVerdictsByJob = std::map<std::string, std::vector<HostVerdict>>;

// The hosts, in this order: listed servers first (file order), then groups (file order),
// then `all` (every server in Scenario::servers order); duplicates dropped. A `sample` of n
// keeps n of them chosen by a seeded hash of (scenario seed, job name, address), kept in
// the same order. A from_job selector gives the distinct hosts of that job's records with
// the verdict, in record order. Errors name the job.
Result<std::vector<ScanHost>> select_hosts(const Scenario& scenario, const ScenarioJob& job,
                                           const HostSelector& selector,
                                           const ScanVerdictsByJob& earlier);

}  // namespace mitmlab
