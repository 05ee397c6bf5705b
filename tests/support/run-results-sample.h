// A RunResults with every field set (no field left at its default), as shard `shard` of a
// two-shard run would report it: for the hand-over codec and shard-merge tests.
//   shard 0: scan records of 10.1.0.1 and 10.1.0.2 completed at 1.0 s and 1.5 s; job
//            "fetch-b"; the fingerprint job.
//   shard 1: records of 10.1.1.1 and 10.1.1.2 at 1.0 s and 1.25 s; job "fetch-a".
// Both: a trace of their second host, a hijack of it at 1.4 s, box counters flows_seen
// 10 + shard, not_target 9.
#pragma once

#include "sim/run-results.h"

namespace mitmlab::test {

RunResults run_results_sample(int shard);

}  // namespace mitmlab::test
