// A run of a scenario with `shards` K > 1 (Scenario::shards): K forked processes, each
// simulating the whole world with every K-th server (sim/server-shards.h) and each job's
// connection limit divided by K, through run_shard(). The parent relays the verdicts that
// follow-up jobs select from (sim/shard-context.h), then merges the shards' results
// (sim/shard-merge.h) and rendered lines (sim/run-extras.h) and writes the files once
// (sim/run-writer.h). The processes share nothing else; the results depend on K, never on
// how many cores run them. --pcap and --keylog are refused (one process writes them).
#pragma once

#include "net/result.h"
#include "sim/run-results.h"
#include "sim/scenario-run.h"
#include "sim/scenario.h"

namespace mitmlab {

Result<RunResults> run_sharded(const Scenario& scenario, const RunOptions& options);

}  // namespace mitmlab
