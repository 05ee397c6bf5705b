// What the runner of one shard (Scenario::shards) needs from the others, provided by
// sim/sharded-run.cc over pipes to the parent process: a job that follows up an earlier
// scan (`from_job`) selects its hosts from every shard's verdicts, not its own only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "net/clock.h"
#include "net/result.h"
#include "sim/host-selection.h"
#include "sim/server-shards.h"

namespace mitmlab {

struct TimedVerdict {
  HostVerdict verdict;
  Timestamp time{};  // simulation time its record completed: orders the merged list
};

struct ShardContext {
  ServerShards servers;
  // This shard's verdicts of a scan job it has finished.
  std::function<void(const std::string& job, const std::vector<TimedVerdict>& verdicts)> publish;
  // Blocks until every shard has published `job`; all their verdicts, ordered by time, then
  // shard, then each shard's own order.
  std::function<Result<std::vector<HostVerdict>>(const std::string& job)> gather;
};

}  // namespace mitmlab
