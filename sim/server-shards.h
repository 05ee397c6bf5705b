// Which servers one shard of a run simulates (Scenario::shards): server i of the scenario's
// flat list belongs to shard i mod K. A shard's copy of the world is whole (every router,
// bump, vantage and server exists), but its jobs reach only its own servers, so the state
// that follows a server (the box's origin-check and forgery caches, its flows) lives in one
// shard only.
#pragma once

#include <cstddef>
#include <unordered_set>
#include <vector>

#include "net/ipv4-address.h"
#include "scanner/scan.h"
#include "sim/scenario.h"

namespace mitmlab {

class ServerShards {
 public:
  // `index` < `count`; count 1 owns every server.
  ServerShards(const Scenario& scenario, std::size_t index, std::size_t count);

  std::size_t index() const { return index_; }
  std::size_t count() const { return count_; }
  // True for the addresses of this shard's servers (not for other addresses).
  bool owns(Ipv4Address server) const { return owned_.contains(server.value); }
  // The hosts of a job that this shard measures, in their order (unparsable ones dropped).
  std::vector<ScanHost> keep_own(std::vector<ScanHost> hosts) const;
  // A job's connection limit split between the shards (at least 1), so that all shards
  // together keep about as many connections open as one run would.
  std::size_t share_of(std::size_t concurrency) const;

 private:
  std::size_t index_ = 0, count_ = 1;
  std::unordered_set<std::uint32_t> owned_;
};

}  // namespace mitmlab
