#include "sim/forged-key-plan.h"

#include <algorithm>
#include <set>

#include "interceptor/target-policy.h"
#include "sim/host-selection.h"

namespace mitmlab {
namespace {

// The SNIs a job's test connections send (controls carry no target, or the same name).
std::vector<std::string> test_snis(const ScenarioJob& job) {
  if (job.kind == JobKind::scan) return job.scan.snis;
  if (job.kind == JobKind::trace) return {job.trace.sni};
  return {};
}

}  // namespace

std::vector<KeyRequest> plan_forged_leaf_keys(const Scenario& scenario, const World& world, ServerPki& pki,
                                              const std::map<std::string, std::shared_ptr<Forger>>& forgers,
                                              const ServerShards* shard) {
  std::map<std::string, TargetPolicy> policies;  // by bump name
  for (const ScenarioBump& bump : scenario.bumps)
    if (forgers.contains(bump.name)) policies.emplace(bump.name, TargetPolicy(bump.engine));

  std::vector<const ScenarioJob*> jobs;
  for (const ScenarioJob& job : scenario.jobs)
    if (job.kind == JobKind::scan || job.kind == JobKind::trace) jobs.push_back(&job);
  std::stable_sort(jobs.begin(), jobs.end(), [](const ScenarioJob* a, const ScenarioJob* b) { return a->at < b->at; });

  std::vector<KeyRequest> plan;
  std::set<std::pair<const Forger*, Bytes>> planned;  // (forger, original's SHA-256)
  for (const ScenarioJob* job : jobs) {
    const HostSelector& selector = job->kind == JobKind::scan ? job->scan.hosts : job->trace.hosts;
    if (!selector.from_job.empty()) continue;
    auto hosts = select_hosts(scenario, *job, selector, {});
    if (!hosts) continue;
    for (const ScanHost& host : *hosts) {
      auto address = Ipv4Address::parse(host.address);
      if (!address || (shard && !shard->owns(*address))) continue;
      const ScenarioServer* server = world.GetServer(*address);
      if (!server) continue;
      WorldPath path = world.Path(job->vantage, *address);
      if (path.bumps.empty()) continue;
      auto credentials = pki.credentials_for(*server);
      if (!credentials) continue;
      for (const BumpCrossing& crossing : path.bumps) {
        auto forger = forgers.find(crossing.name);
        auto policy = policies.find(crossing.name);
        if (forger == forgers.end() || policy == policies.end()) continue;
        for (const std::string& sni : test_snis(*job)) {
          if (!policy->second.is_target(sni)) continue;
          const std::string name = normalize_sni(sni);
          if ((*credentials)->mints_per_sni() && !(*credentials)->by_sni().contains(name)) continue;
          // Later jobs scan the same hosts again: look the chain up before validating it.
          Bytes original = x509_sha256((*credentials)->for_sni(name)->leaf.get());
          if (original.empty() || planned.contains({forger->second.get(), original})) continue;
          if (!pki.box_trusts_origin(*server, name)) continue;
          planned.emplace(forger->second.get(), original);
          const FakeAuthority& authority = forger->second->authority();
          const LeafProfile& leaf = authority.profile().leaf;
          plan.push_back({leaf_key_seed(authority.seed(), original), RsaKeySpec{leaf.key_bits, leaf.public_exponent}});
        }
      }
    }
  }
  return plan;
}

}  // namespace mitmlab
