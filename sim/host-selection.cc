#include "sim/host-selection.h"

#include <algorithm>
#include <set>


namespace mitmlab {
namespace {

// A stable pseudo-random rank for sampling, keyed by the scenario seed, over the job name
// and the address: adding a server elsewhere does not reshuffle a sample.
std::uint64_t sample_rank(std::uint64_t seed, const std::string& job, const std::string& address) {
  return derive_seed(seed, job + '\0' + address);
}

}  // namespace

HostVerdict host_verdict(const ScanRecord& record) {
  return {record.address, record.port, record.verdict};
}

Result<std::vector<ScanHost>> select_hosts(const Scenario& scenario, const ScenarioJob& job,
                                           const HostSelector& selector,
                                           const ScanVerdictsByJob& earlier) {
  std::vector<ScanHost> hosts;
  std::set<std::pair<std::string, std::uint16_t>> seen;
  auto add = [&](const std::string& address, std::uint16_t port) {
    if (seen.insert({address, port}).second) hosts.push_back({address, port});
  };

  if (!selector.from_job.empty()) {
    auto it = earlier.find(selector.from_job);
    if (it == earlier.end())
      return make_error("job '{}': hosts.from_job '{}' has no results (it must be an earlier scan job)",
                        job.name, selector.from_job);
    for (const HostVerdict& r : it->second)
      if (verdict_name(r.verdict) == selector.verdict) add(r.address, r.port);
  }
  for (const std::string& name : selector.servers) {
    auto s = std::find_if(scenario.servers.begin(), scenario.servers.end(),
                          [&](const ScenarioServer& x) { return x.name == name; });
    if (s == scenario.servers.end())
      return make_error("job '{}': no server named '{}'", job.name, name);
    add(s->address.to_string(), s->port);
  }
  for (const std::string& group : selector.groups) {
    bool any = false;
    for (const ScenarioServer& s : scenario.servers)
      if (s.group == group) {
        add(s.address.to_string(), s.port);
        any = true;
      }
    if (!any) return make_error("job '{}': no server in group '{}'", job.name, group);
  }
  if (selector.all)
    for (const ScenarioServer& s : scenario.servers) add(s.address.to_string(), s.port);

  if (selector.sample && *selector.sample < hosts.size()) {
    std::vector<std::pair<std::uint64_t, std::size_t>> ranked;
    for (std::size_t i = 0; i < hosts.size(); ++i)
      ranked.push_back({sample_rank(scenario.seed, job.name, hosts[i].address), i});
    std::sort(ranked.begin(), ranked.end());
    ranked.resize(*selector.sample);
    std::vector<std::size_t> keep;
    for (const auto& r : ranked) keep.push_back(r.second);
    std::sort(keep.begin(), keep.end());
    std::vector<ScanHost> sampled;
    for (std::size_t i : keep) sampled.push_back(hosts[i]);
    hosts = std::move(sampled);
  }
  return hosts;
}

}  // namespace mitmlab
