// The ns-3 world of a scenario (sim/scenario.h): routers, links, bumps, vantage points and
// server sites, with static routes computed from the graph. BuildWorld makes it; World
// owns what the simulation needs beyond ns-3's own lists and answers ground-truth
// questions (the path a packet takes, which bumps it crosses) from the installed tables.
//
// - Routers are one node each; links are unnumbered: every interface of a router carries
//   the router's address/32, so ICMP time exceeded comes from exactly the scenario's hop
//   address. Links are point-to-point with the scenario's delay and rate.
// - Loss and reordering (sim/link-impairment.h) and interceptors live in a bump node in the
//   link (no IP stack, invisible to traceroute). Such a link is two point-to-point halves
//   of delay/2 each: one-way delay as given, plus one extra serialisation.
// - Each bump runs an Engine made from ScenarioBump::engine and the dependencies
//   WorldOptions gives (none: decide-only), calendar_origin = Scenario::start. Packets from
//   the bump's `a` side reach it as LinkSide::kA.
// - Routing: sim/static-routes.h (shortest cost, ties to the neighbour whose name sorts
//   first) installed in each node's TableRouting (sim/table-routing.h). Global routing is
//   not used: it aborts on bump nodes. Endpoints have one default route up their uplink.
// - Every node gets its name in ns-3's Names (for readable pcaps and paths). A World owns
//   the Names registry while it lives and clears it when destroyed: one World at a time.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <ns3/node.h>

#include "interceptor/engine.h"
#include "net/ipv4-address.h"
#include "net/result.h"
#include "sim/bump-node.h"
#include "sim/link-impairment.h"
#include "sim/scenario.h"
#include "sim/server-site.h"

namespace mitmlab {

struct WorldOptions {
  // The dependencies (forger, judge) of a bump's engine. Unset: every engine is decide-only.
  std::function<Result<EngineDependencies>(const ScenarioBump&)> engine_dependencies;
  // The chains of TLS servers. Required when the scenario has any server of a TLS kind.
  ServerCredentialsResolver credentials;
  // Aggregated routes are never shorter than this prefix length.
  unsigned min_route_prefix = 16;
};

enum class WorldNodeKind { kRouter, kVantage, kSite, kClosedSite, kBump };

struct WorldNode {
  std::string name;
  WorldNodeKind kind;
  ns3::Ptr<ns3::Node> node;
  Ipv4Address address;  // routers, vantages; a site's first TLS address (if any)
};

struct BumpInfo {
  std::string name;
  std::string a, b;  // routers; packets from a reach the engine as LinkSide::kA
  Engine* engine = nullptr;
  ns3::Ptr<BumpNode> bump;
  LinkImpairment* impairment = nullptr;  // when the link is also impaired
};

// A link's impairment, for its counters.
struct ImpairedLink {
  std::string name;  // "<a>-<b>" for router links, "uplink-<endpoint>" for uplinks
  std::shared_ptr<LinkImpairment> impairment;
};

struct PathHop {
  std::string router;
  Ipv4Address address;
  friend bool operator==(const PathHop&, const PathHop&) = default;
};

// A bump crossed between hops[before] and hops[after] (after == before + 1).
struct BumpCrossing {
  std::string name;
  std::size_t before = 0, after = 0;
  friend bool operator==(const BumpCrossing&, const BumpCrossing&) = default;
};

struct WorldPath {
  std::vector<PathHop> hops;        // every router crossed, in order
  std::vector<BumpCrossing> bumps;  // every bump crossed, in order
  std::string last;                 // the node the packet ends at (or is dropped at)
  bool delivered = false;           // the destination is local at `last`
};

class World {
 public:
  World();
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  const Scenario& GetScenario() const { return m_scenario; }

  // Any node by name (routers, vantages, sites, "<site>-closed", bumps); null if unknown.
  ns3::Ptr<ns3::Node> GetNode(std::string_view name) const;
  ns3::Ptr<ns3::Node> GetRouter(std::string_view name) const;
  ns3::Ptr<ns3::Node> GetVantage(std::string_view name) const;
  const std::vector<WorldNode>& GetNodes() const { return m_nodes; }

  // The server with that address and the site it lives on (null if none).
  const ScenarioServer* GetServer(Ipv4Address address) const;
  const ServerSite* GetSite(Ipv4Address server) const;
  const std::vector<ServerSite>& GetSites() const { return m_sites; }

  const std::vector<BumpInfo>& GetBumps() const { return m_bumps; }
  const BumpInfo* GetBump(std::string_view name) const;
  const std::vector<ImpairedLink>& GetImpairedLinks() const { return m_impaired; }

  // The path a packet from the vantage (or any node) to `destination` takes, read hop by
  // hop from the installed forwarding tables.
  WorldPath Path(std::string_view vantage, Ipv4Address destination) const;
  WorldPath Path(ns3::Ptr<ns3::Node> from, Ipv4Address destination) const;

  // One pcap per point-to-point device: "<dir>/<node>-<n>.pcap", n counting that node's
  // devices from 0. Call before the simulation runs.
  void EnablePcap(const std::filesystem::path& dir) const;

 private:
  friend Result<std::unique_ptr<World>> BuildWorld(const Scenario&, const WorldOptions&);
  friend class WorldAssembler;

  const WorldNode* Find(ns3::Ptr<ns3::Node> node) const;

  Scenario m_scenario;
  std::vector<WorldNode> m_nodes;
  std::unordered_map<std::string, std::size_t> m_byName;      // -> m_nodes
  std::unordered_map<std::uint32_t, std::size_t> m_byNodeId;  // -> m_nodes
  std::vector<ServerSite> m_sites;
  std::unordered_map<std::uint32_t, std::size_t> m_serverByAddress;  // -> scenario servers
  std::unordered_map<std::uint32_t, std::size_t> m_siteByAddress;    // -> m_sites
  std::vector<std::shared_ptr<Engine>> m_engines;
  std::vector<BumpInfo> m_bumps;
  std::vector<ImpairedLink> m_impaired;
  bool m_ownsNames = false;
};

// Builds the world into ns-3's global lists (the caller runs and destroys the simulator).
// Applies ApplyNs3Defaults(). Errors name the scenario element at fault: an unknown router,
// a bump on no link, an address used twice, a name taken twice, a missing credentials
// resolver, an engine whose dependencies failed.
Result<std::unique_ptr<World>> BuildWorld(const Scenario& scenario, const WorldOptions& options);

}  // namespace mitmlab
