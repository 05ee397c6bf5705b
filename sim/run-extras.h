// The lines of ground_truth.jsonl and events.jsonl that need the simulated world (paths,
// the bumps' events), rendered by each shard's runner before its world goes, then merged
// and put in their final order by the process that writes the run (sim/run-writer.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "net/bytes.h"
#include "net/result.h"

namespace mitmlab {

struct RunExtras {
  struct PathLine {
    std::string vantage;
    std::uint32_t server = 0;
    std::string line;
  };
  struct BumpLine {
    std::size_t bump = 0;  // index in the scenario's bumps
    std::int64_t time_ns = 0;
    std::string line;
  };
  std::vector<std::string> server_lines;  // every server, scenario order (one shard renders them)
  std::vector<PathLine> path_lines;       // each measured (vantage, server) path
  std::vector<BumpLine> decision_lines;   // each connection decision, in each bump's event order
  std::vector<BumpLine> event_lines;      // every engine event

  // Final order: paths by (vantage, server); decisions by bump, then time; events by time,
  // then bump. Stable: a shard's own order, then shard order, decides the rest.
  void put_in_order();
};

// Concatenates in shard order (server lines from the first shard that has them), then
// put_in_order().
RunExtras merge_run_extras(std::vector<RunExtras> shards);

Bytes encode_run_extras(const RunExtras& extras);
Result<RunExtras> decode_run_extras(ByteView bytes);

}  // namespace mitmlab
