// Merges the RunResults of a sharded run's shards (sim/sharded-run.h) into what one run
// reports: per scan or trace job, the shards' records merged by the time they completed
// (ties: shard order), the ground-truth hijacks by time, hosts summed, the job's start the
// earliest and its end the latest, and the scores computed again on the merged lists; fetch
// and fingerprint jobs (each ran in one shard) in job order; the boxes' counters summed.
#pragma once

#include <vector>

#include "net/result.h"
#include "sim/run-results.h"

namespace mitmlab {

// An error when the shards did not run the same jobs and boxes.
Result<RunResults> merge_shard_results(std::vector<RunResults> shards);

}  // namespace mitmlab
