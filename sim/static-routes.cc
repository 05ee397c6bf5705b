#include "sim/static-routes.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <tuple>

namespace mitmlab {

namespace {

using Owned = std::vector<std::pair<Ipv4Address, std::size_t>>;

// Emits routes for owned[lo, hi), all inside `prefix`, whose covering route so far sends
// them to `inherited`. The owner of most addresses in a mixed prefix takes the prefix and
// the others become longer exceptions inside it.
void cover(const Owned& owned, Ipv4Prefix prefix, std::size_t lo, std::size_t hi,
           std::optional<std::size_t> inherited, std::vector<OwnedPrefix>& out) {
  if (lo == hi) return;
  std::map<std::size_t, std::size_t> counts;
  for (std::size_t i = lo; i < hi; ++i) ++counts[owned[i].second];
  if (counts.size() == 1) {
    const std::size_t only = counts.begin()->first;
    if (only != inherited) out.push_back({prefix, only});
    return;
  }
  // Most addresses wins; a tie goes to the lower node index (std::map order).
  std::size_t majority = counts.begin()->first;
  for (const auto& [owner, n] : counts) {
    if (n > counts[majority]) majority = owner;
  }
  std::optional<std::size_t> below = inherited;
  if (majority != inherited) {
    out.push_back({prefix, majority});
    below = majority;
  }
  // Several owners: the prefix is shorter than /32 since addresses are distinct.
  const unsigned length = prefix.length + 1;
  const Ipv4Address upper(prefix.network.value | (std::uint32_t{1} << (32 - length)));
  std::size_t mid = lo;
  while (mid < hi && owned[mid].first < upper) ++mid;
  cover(owned, Ipv4Prefix{prefix.network, length}, lo, mid, below, out);
  cover(owned, Ipv4Prefix{upper, length}, mid, hi, below, out);
}

}  // namespace

std::vector<OwnedPrefix> aggregate_prefixes(Owned owned, unsigned min_length) {
  std::sort(owned.begin(), owned.end());
  std::vector<OwnedPrefix> out;
  const std::uint32_t mask = prefix_mask(min_length);
  for (std::size_t i = 0; i < owned.size();) {
    const std::uint32_t block = owned[i].first.value & mask;
    std::size_t j = i;
    while (j < owned.size() && (owned[j].first.value & mask) == block) ++j;
    cover(owned, Ipv4Prefix{Ipv4Address(block), min_length}, i, j, std::nullopt, out);
    i = j;
  }
  std::sort(out.begin(), out.end(), [](const OwnedPrefix& x, const OwnedPrefix& y) {
    return std::tie(x.prefix.network, x.prefix.length) < std::tie(y.prefix.network, y.prefix.length);
  });
  return out;
}

Result<std::vector<std::vector<ComputedRoute>>> compute_static_routes(const RouteGraph& graph,
                                                                      const std::vector<OwnedPrefix>& destinations) {
  const std::size_t n = graph.nodes.size();
  // adjacency[node] = (edge index, neighbour)
  std::vector<std::vector<std::pair<std::size_t, std::size_t>>> adjacency(n);
  for (std::size_t e = 0; e < graph.edges.size(); ++e) {
    const RouteGraph::Edge& edge = graph.edges[e];
    if (edge.a >= n || edge.b >= n || edge.a == edge.b) {
      return make_error("route graph: edge {} joins nodes {} and {}: expected two distinct nodes of {}", e,
                        edge.a, edge.b, n);
    }
    if (edge.cost == 0) {
      return make_error("route graph: edge {} ({} - {}) has cost 0: expected at least 1", e,
                        graph.nodes[edge.a].name, graph.nodes[edge.b].name);
    }
    adjacency[edge.a].emplace_back(e, edge.b);
    adjacency[edge.b].emplace_back(e, edge.a);
  }

  std::vector<std::vector<ComputedRoute>> routes(n);
  std::set<std::size_t> targets;
  for (const OwnedPrefix& d : destinations) {
    if (d.owner >= n) return make_error("route graph: a destination names node {} of {}", d.owner, n);
    targets.insert(d.owner);
  }
  constexpr std::uint64_t kUnreached = std::numeric_limits<std::uint64_t>::max();
  for (std::size_t target : targets) {
    // Dijkstra from the target: links are symmetric, so this is every node's distance to it.
    std::vector<std::uint64_t> dist(n, kUnreached);
    using Item = std::pair<std::uint64_t, std::size_t>;
    std::priority_queue<Item, std::vector<Item>, std::greater<>> queue;
    dist[target] = 0;
    queue.emplace(0, target);
    while (!queue.empty()) {
      auto [d, u] = queue.top();
      queue.pop();
      if (d != dist[u]) continue;
      if (u != target && !graph.nodes[u].transit) continue;  // endpoints do not relay
      for (auto [e, v] : adjacency[u]) {
        const std::uint64_t nd = d + graph.edges[e].cost;
        if (nd < dist[v]) {
          dist[v] = nd;
          queue.emplace(nd, v);
        }
      }
    }
    for (std::size_t node = 0; node < n; ++node) {
      if (node == target || dist[node] == kUnreached) continue;
      std::optional<std::pair<std::size_t, std::size_t>> best;  // (edge, neighbour)
      for (auto [e, v] : adjacency[node]) {
        if (v != target && !graph.nodes[v].transit) continue;
        if (dist[v] == kUnreached || dist[v] + graph.edges[e].cost != dist[node]) continue;
        if (!best || std::tie(graph.nodes[v].name, e) < std::tie(graph.nodes[best->second].name, best->first)) {
          best = std::make_pair(e, v);
        }
      }
      if (!best) continue;  // cannot happen with costs >= 1; be safe
      for (const OwnedPrefix& d : destinations) {
        if (d.owner == target) routes[node].push_back({d.prefix, best->first, best->second});
      }
    }
  }
  return routes;
}

}  // namespace mitmlab
