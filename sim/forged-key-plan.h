// Which forged-leaf keys a run will probably need, in the order it will probably need them,
// so that KeyPrefetch (interceptor/forge/key-prefetch.h) can derive them on other cores
// while the simulation runs. A performance hint only: a key missing from the plan is derived
// when the forger asks, one in it that is never used costs time, and neither changes a
// result (a key is a function of its seed).
//
// The plan walks the jobs in start order: for each scan and trace job whose hosts are listed
// (servers, groups, all; a `from_job` selector is skipped: its hosts come from an earlier
// scan), each host whose route from the job's vantage crosses a bump with a forger, and each
// SNI the job sends that the bump targets, it asks for the key of the chain the server
// presents for that SNI, if the box would trust it. Vhost servers' per-SNI leaves are not
// minted here (only their default chain is planned).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "interceptor/forge/forger.h"
#include "interceptor/forge/key-prefetch.h"
#include "sim/scenario.h"
#include "sim/server-pki.h"
#include "sim/server-shards.h"
#include "sim/world-builder.h"

namespace mitmlab {

// forgers: by bump name (bumps without one are skipped). shard: when set, only its servers.
std::vector<KeyRequest> plan_forged_leaf_keys(const Scenario& scenario, const World& world, ServerPki& pki,
                                              const std::map<std::string, std::shared_ptr<Forger>>& forgers,
                                              const ServerShards* shard = nullptr);

}  // namespace mitmlab
