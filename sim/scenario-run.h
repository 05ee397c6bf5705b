// `mitmlab run`: simulate one scenario (sim/scenario.h) and write its results
// (sim/run-output.h). Single-threaded and deterministic: OpenSSL's randomness is seeded for
// the whole run and ns-3's RNG from the scenario seed, so the same scenario and seed give
// byte-identical files, pcaps included. The tools (scanner/) are driven through the sim
// transports exactly as the live commands drive them; ground truth (the bumps' event logs and
// the installed routes) is only read afterwards, to score them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "interceptor/forge/key-cache.h"
#include "interceptor/forge/key-prefetch.h"
#include "net/result.h"
#include "sim/run-extras.h"
#include "sim/run-results.h"
#include "sim/shard-context.h"
#include "sim/scenario.h"

namespace mitmlab {

// Wall-clock seconds of a run's phases, for the cost line on stderr (never in result files).
struct RunWallTimes {
  double prepare = 0;   // PKI and world
  double simulate = 0;  // the ns-3 event loop
  double write = 0;     // scoring and output files
  std::vector<std::pair<std::string, double>> jobs;  // each job, from its start to its end
};

struct RunOptions {
  std::filesystem::path out;  // the output directory; required
  bool pcap = false;          // pcap/<node>-<device>.pcap for every device
  bool keylog = false;        // keylog.txt: NSS key log of every TLS connection
  // The forgers' on-disk key cache (interceptor/forge/key-cache.h), shared by every bump;
  // null: keys are derived every time. A hit returns exactly the key derivation would, so
  // the results do not depend on it, only the run's speed.
  std::shared_ptr<KeyCache> key_cache;
  // Threads deriving forged-leaf keys ahead of need (interceptor/forge/key-prefetch.h), from
  // a plan of the keys the jobs will probably need (sim/forged-key-plan.h). 0: every key is
  // derived when a forger first asks. Like the cache, it changes the run's speed only.
  unsigned key_threads = 0;
  // How many shard processes of a sharded run simulate at once (0: all). One per core is
  // fastest: more time-slice one core between worlds that do not fit its caches. Like the
  // key threads, it changes the run's speed only.
  unsigned parallel = 0;
  // When set, receives the prefetcher's counters at the end of the run (they depend on
  // timing, so they never reach the result files).
  KeyPrefetchCounters* key_stats = nullptr;
  // When set, receives where the run's wall time went (machine-dependent, like key_stats).
  RunWallTimes* wall_times = nullptr;
  // Called with a one-line status now and then (job started, progress); may be empty.
  std::function<void(const std::string&)> progress;
};

// One shard's part of a sharded run (sim/sharded-run.h): its results and the lines only its
// world could render. run_shard() simulates and collects them, and writes nothing but, in
// shard 0, certs/ca/.
struct ShardOutcome {
  RunResults results;
  RunExtras extras;
};
Result<ShardOutcome> run_shard(const Scenario& scenario, const RunOptions& options, ShardContext& shard);

// Runs the scenario (in Scenario::shards processes when that is above 1) and writes every
// output file. The returned results are what the files
// say (for the caller's human summary).
Result<RunResults> run_scenario(const Scenario& scenario, const RunOptions& options);

}  // namespace mitmlab
