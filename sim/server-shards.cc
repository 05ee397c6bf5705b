#include "sim/server-shards.h"

#include <algorithm>

namespace mitmlab {

ServerShards::ServerShards(const Scenario& scenario, std::size_t index, std::size_t count)
    : index_(index), count_(std::max<std::size_t>(count, 1)) {
  for (std::size_t i = index_; i < scenario.servers.size(); i += count_)
    owned_.insert(scenario.servers[i].address.value);
}

std::vector<ScanHost> ServerShards::keep_own(std::vector<ScanHost> hosts) const {
  std::erase_if(hosts, [this](const ScanHost& h) {
    auto address = Ipv4Address::parse(h.address);
    return !address || !owns(*address);
  });
  return hosts;
}

std::size_t ServerShards::share_of(std::size_t concurrency) const {
  return std::max<std::size_t>(1, (concurrency + count_ - 1) / count_);
}

}  // namespace mitmlab
