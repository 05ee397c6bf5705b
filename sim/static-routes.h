// Destination-based static routes computed from a scenario's graph, with no ns-3 in sight:
// the world builder installs what this returns and everything else (World::Path, the
// traceroute a scanner sees) follows from the installed tables.
//
// - Shortest total link cost from every node to every destination node. Costs must be >= 1
//   so every next hop is strictly closer and no table can loop.
// - Ties between equal-cost next hops go to the neighbour whose name sorts first, then to
//   the link listed first: deterministic, and easy to predict from the scenario file.
// - Routes are per destination, so with equal-cost ties the two directions of one flow may
//   take different links (as on the Internet); World::Path tells which.
// - Only transit nodes (routers) relay; an endpoint (vantage, server site) is a first or
//   last hop only.
// - Destinations are aggregated into prefixes (aggregate_prefixes): a site of 10,000
//   consecutive servers is one route per router, not 10,000.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "net/ipv4-address.h"
#include "net/result.h"
#include "sim/scenario.h"

namespace mitmlab {

struct RouteGraph {
  struct Node {
    std::string name;
    bool transit = true;  // false: an endpoint, never relays
  };
  struct Edge {
    std::size_t a = 0, b = 0;  // node indexes
    std::uint32_t cost = 1;
  };
  std::vector<Node> nodes;
  std::vector<Edge> edges;
};

// One prefix owned by a node. In a list, a longer prefix overrides a shorter one that
// contains it (longest prefix match), so exceptions can sit inside an aggregate.
struct OwnedPrefix {
  Ipv4Prefix prefix;
  std::size_t owner = 0;  // node index
  friend bool operator==(const OwnedPrefix&, const OwnedPrefix&) = default;
};

// A few prefixes that, read by longest prefix match, send every address of `owned` to its
// owner. Addresses owned by no one may be covered too (the owner drops them), but never by
// a prefix shorter than `min_length`, so far-away space is not pointed anywhere. Addresses
// must be distinct. Result sorted by (network, length).
std::vector<OwnedPrefix> aggregate_prefixes(std::vector<std::pair<Ipv4Address, std::size_t>> owned,
                                            unsigned min_length = 16);

// A route of one node: `prefix` leaves by `edge` toward `next`.
struct ComputedRoute {
  Ipv4Prefix prefix;
  std::size_t edge = 0;
  std::size_t next = 0;
};

// routes[n] is node n's table for the destinations (nothing for prefixes n owns, nor for
// destinations it cannot reach). Errors: an edge with cost 0 or naming no node.
Result<std::vector<std::vector<ComputedRoute>>> compute_static_routes(const RouteGraph& graph,
                                                                      const std::vector<OwnedPrefix>& destinations);

// Helpers for prefixes as plain values (no parsing).
inline std::uint32_t prefix_mask(unsigned length) {
  return length == 0 ? 0u : ~std::uint32_t{0} << (32 - length);
}
inline bool prefix_contains(const Ipv4Prefix& p, Ipv4Address a) {
  return (a.value & prefix_mask(p.length)) == p.network.value;
}

}  // namespace mitmlab
