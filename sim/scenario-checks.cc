// Second pass of the scenario parser: what spans fields, and the group expansion. See
// sim/scenario-reader.h. Errors point at the field that refers to something missing or
// repeats something already used.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>

#include "net/seeded-random.h"
#include "sim/scenario-reader.h"

namespace mitmlab {

namespace {

JsonPointer item(std::string_view list, std::size_t i) {
  return JsonPointer("/" + std::string(list)) / i;
}

// How many of a group's servers get each kind: the weights' shares of `count`, rounded
// down, then the servers left over go one each to the largest remainders (ties: file order).
std::vector<std::size_t> allot(std::size_t count, const std::vector<CertMix>& mix) {
  double total = 0;
  for (const CertMix& m : mix) total += m.weight;
  std::vector<std::size_t> out(mix.size());
  std::vector<double> remainder(mix.size());
  std::size_t given = 0;
  for (std::size_t k = 0; k < mix.size(); ++k) {
    double share = static_cast<double>(count) * mix[k].weight / total;
    out[k] = static_cast<std::size_t>(std::floor(share));
    remainder[k] = share - std::floor(share);
    given += out[k];
  }
  std::vector<std::size_t> order(mix.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
  for (std::size_t i = 0; given < count; i = (i + 1) % order.size(), ++given) ++out[order[i]];
  return out;
}

// The kinds in blocks (mix order), then a Fisher-Yates shuffle drawn from a SeededStream
// keyed by derive_seed(seed, "group/<name>"), so kinds interleave along the address range
// and the same file always gives the same assignment.
std::vector<CertKind> shuffled_kinds(const ServerGroup& g, std::uint64_t scenario_seed) {
  std::vector<CertKind> kinds;
  std::vector<std::size_t> counts = allot(g.count, g.mix);
  for (std::size_t k = 0; k < g.mix.size(); ++k)
    kinds.insert(kinds.end(), counts[k], g.mix[k].kind);
  std::uint64_t seed = derive_seed(scenario_seed, "group/" + g.name);
  std::array<std::uint8_t, 8> key{};
  for (std::size_t i = 0; i < 8; ++i) key[i] = static_cast<std::uint8_t>(seed >> (8 * i));
  SeededStream stream(key);
  auto draw = [&]() {
    std::array<std::uint8_t, 8> b{};
    stream.fill(b.data(), b.size());
    std::uint64_t x = 0;
    for (std::size_t i = 0; i < 8; ++i) x |= std::uint64_t{b[i]} << (8 * i);
    return x;
  };
  for (std::size_t i = kinds.size(); i > 1; --i) {
    // Uniform in [0, i): reject the top sliver that would bias the modulo.
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t limit = kMax - kMax % i;
    std::uint64_t x = draw();
    while (x >= limit) x = draw();
    std::swap(kinds[i - 1], kinds[x % i]);
  }
  return kinds;
}

bool usable_host(Ipv4Address a) { return (a.value & 0xff) != 0 && (a.value & 0xff) != 0xff; }

std::uint64_t usable_hosts(const Ipv4Prefix& p) {
  if (p.length <= 24) return p.size() / 256 * 254;
  std::uint64_t n = 0;
  for (std::uint64_t i = 0; i < p.size(); ++i)
    n += usable_host(Ipv4Address(p.network.value + static_cast<std::uint32_t>(i)));
  return n;
}

class Checker {
 public:
  Checker(std::string_view source, Scenario& s) : source_(source), s_(s) {}

  void run() {
    unique_names("routers", s_.routers, [](const ScenarioRouter& r) { return r.name; });
    for (std::size_t i = 0; i < s_.routers.size(); ++i) routers_[s_.routers[i].name] = i;
    unique_names("vantages", s_.vantages, [](const ScenarioVantage& v) { return v.name; });
    unique_names("servers", s_.servers, [](const ScenarioServer& v) { return v.name; });
    unique_names("server_groups", s_.groups, [](const ServerGroup& g) { return g.name; });
    unique_names("bumps", s_.bumps, [](const ScenarioBump& b) { return b.name; });
    unique_names("jobs", s_.jobs, [](const ScenarioJob& j) { return j.name; });
    for (std::size_t i = 0; i < s_.routers.size(); ++i) {
      claim(s_.routers[i].address, item("routers", i) / "address",
            fmt::format("router '{}'", s_.routers[i].name));
    }
    for (std::size_t i = 0; i < s_.vantages.size(); ++i) {
      claim(s_.vantages[i].address, item("vantages", i) / "address",
            fmt::format("vantage '{}'", s_.vantages[i].name));
      router(s_.vantages[i].attach, item("vantages", i) / "attach");
    }
    for (std::size_t i = 0; i < s_.servers.size(); ++i) {
      const ScenarioServer& server = s_.servers[i];
      claim(server.address, item("servers", i) / "address",
            fmt::format("server '{}'", server.name));
      router(server.attach, item("servers", i) / "attach");
      if (!server.issuer.empty()) root(server.issuer, item("servers", i) / "issuer");
    }
    check_site_uplinks();
    check_links();
    check_bumps();
    check_pki();
    for (std::size_t i = 0; i < s_.servers.size(); ++i) servers_[s_.servers[i].name] = i;
    for (std::size_t i = 0; i < s_.groups.size(); ++i) expand(i);
    for (std::size_t i = 0; i < s_.jobs.size(); ++i) check_job(i);
    check_connected();
  }

 private:
  [[noreturn]] void fail(const JsonPointer& at, std::string_view what) const {
    scenario_fail(source_, at, what);
  }

  template <typename T, typename Name>
  void unique_names(std::string_view list, const std::vector<T>& items, Name name) const {
    std::map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < items.size(); ++i) {
      auto [it, fresh] = seen.emplace(name(items[i]), i);
      if (!fresh)
        fail(item(list, i) / "name",
             fmt::format("name '{}' is already used by /{}/{}", it->first, list, it->second));
    }
  }

  void claim(Ipv4Address a, const JsonPointer& at, std::string owner) {
    auto [it, fresh] = addresses_.emplace(a, std::pair{std::move(owner), at.to_string()});
    if (!fresh) {
      fail(at, fmt::format("address {} is already used by {} ({})", a.to_string(), it->second.first,
                           it->second.second));
    }
  }

  std::size_t router(const std::string& name, const JsonPointer& at) const {
    auto it = routers_.find(name);
    if (it == routers_.end()) fail(at, fmt::format("no router named '{}' in /routers", name));
    return it->second;
  }

  void root(const std::string& name, const JsonPointer& at) const {
    const auto& roots = s_.pki.roots;
    if (std::find(roots.begin(), roots.end(), name) == roots.end()) {
      fail(at, fmt::format("no root named '{}' in /pki/roots", name));
    }
  }

  // The world builder puts the servers listed at one router on one site node with one
  // uplink (sim/server-site.h), so they must agree on it.
  void check_site_uplinks() const {
    std::map<std::string, std::size_t> first;  // router → first listed server there
    for (std::size_t i = 0; i < s_.servers.size(); ++i) {
      auto [it, fresh] = first.emplace(s_.servers[i].attach, i);
      if (!fresh && s_.servers[i].uplink != s_.servers[it->second].uplink) {
        fail(item("servers", i) / "uplink",
             fmt::format("servers listed at router '{}' share one site and its uplink, and this "
                         "one differs from /servers/{}'s",
                         it->first, it->second));
      }
    }
  }

  void check_links() {
    for (std::size_t i = 0; i < s_.links.size(); ++i) {
      const ScenarioLink& l = s_.links[i];
      JsonPointer at = item("links", i);
      std::size_t a = router(l.a, at / "a"), b = router(l.b, at / "b");
      if (a == b) fail(at / "b", fmt::format("a link from router '{}' to itself", l.a));
      auto [it, fresh] = links_.emplace(std::minmax(a, b), i);
      if (!fresh)
        fail(at, fmt::format("routers '{}' and '{}' are already linked by /links/{}", l.a, l.b,
                             it->second));
    }
  }

  void check_bumps() {
    std::map<std::size_t, std::size_t> bumped;  // link index → bump index
    for (std::size_t i = 0; i < s_.bumps.size(); ++i) {
      const ScenarioBump& b = s_.bumps[i];
      JsonPointer at = item("bumps", i) / "link";
      auto link = links_.find(std::minmax(router(b.a, at / 0), router(b.b, at / 1)));
      if (link == links_.end())
        fail(at, fmt::format("no link between '{}' and '{}' in /links", b.a, b.b));
      auto [it, fresh] = bumped.emplace(link->second, i);
      if (!fresh)
        fail(at, fmt::format("link '{}'-'{}' already has bump '{}'", b.a, b.b,
                             s_.bumps[it->second].name));
    }
  }

  void check_pki() {
    for (auto [key, list] : {std::pair{"client_trusts", &s_.pki.client_trusts},
                             std::pair{"box_trusts", &s_.pki.box_trusts}}) {
      for (std::size_t i = 0; i < list->size(); ++i)
        root((*list)[i], JsonPointer("/pki") / key / i);
    }
  }

  // Appends group i's servers; see the naming and allocation rules in scenarios/README.md.
  void expand(std::size_t i) {
    const ServerGroup& g = s_.groups[i];
    JsonPointer at = item("server_groups", i);
    router(g.attach, at / "attach");
    std::uint64_t room = usable_hosts(g.prefix);
    if (room < g.count) {
      fail(at / "prefix", fmt::format("{} has room for {} servers (host octets .0 and .255 are "
                                      "skipped), the group needs {}",
                                      g.prefix.to_string(), room, g.count));
    }
    std::vector<CertKind> kinds = shuffled_kinds(g, s_.seed);
    const std::size_t width = std::to_string(g.count).size();
    std::uint32_t next = g.prefix.network.value;
    for (std::size_t n = 1; n <= g.count; ++n) {
      while (!usable_host(Ipv4Address(next))) ++next;
      ScenarioServer server;
      server.name = fmt::format("{}-{:0{}}.{}", g.name, n, width, g.domain);
      server.address = Ipv4Address(next++);
      server.attach = g.attach;
      server.as = g.as;
      server.group = g.name;
      server.kind = kinds[n - 1];
      server.uplink = g.uplink;
      claim(server.address, at / "prefix",
            fmt::format("server '{}' of group '{}'", server.name, g.name));
      if (!servers_.emplace(server.name, s_.servers.size()).second) {
        fail(at / "name",
             fmt::format("its server '{}' has the name of another server", server.name));
      }
      s_.servers.push_back(std::move(server));
    }
  }

  void server(const std::string& name, const JsonPointer& at) const {
    if (!servers_.contains(name))
      fail(at, fmt::format("no server named '{}' (listed or generated by a group)", name));
  }

  void check_hosts(const HostSelector& h, const JsonPointer& at, std::size_t job) const {
    for (std::size_t k = 0; k < h.groups.size(); ++k) {
      auto it = std::find_if(s_.groups.begin(), s_.groups.end(),
                             [&](const ServerGroup& g) { return g.name == h.groups[k]; });
      if (it == s_.groups.end())
        fail(at / "groups" / k, fmt::format("no server group named '{}'", h.groups[k]));
    }
    for (std::size_t k = 0; k < h.servers.size(); ++k) server(h.servers[k], at / "servers" / k);
    if (h.from_job.empty()) return;
    auto earlier = std::find_if(s_.jobs.begin(), s_.jobs.begin() + static_cast<std::ptrdiff_t>(job),
                                [&](const ScenarioJob& j) { return j.name == h.from_job; });
    if (earlier == s_.jobs.begin() + static_cast<std::ptrdiff_t>(job) ||
        earlier->kind != JobKind::scan) {
      fail(at / "from_job",
           fmt::format("'{}' must name a scan job listed before this one", h.from_job));
    }
    if (earlier->at > s_.jobs[job].at) {
      fail(at / "from_job", fmt::format("scan job '{}' starts after this job", h.from_job));
    }
  }

  void check_job(std::size_t i) {
    const ScenarioJob& j = s_.jobs[i];
    JsonPointer at = item("jobs", i);
    if (s_.end > Duration::zero() && j.at >= s_.end)
      fail(at / "at", "the job starts at or after the scenario's end");
    if (j.kind != JobKind::fingerprint) {
      auto it = std::find_if(s_.vantages.begin(), s_.vantages.end(),
                             [&](const ScenarioVantage& v) { return v.name == j.vantage; });
      if (it == s_.vantages.end())
        fail(at / "vantage", fmt::format("no vantage named '{}' in /vantages", j.vantage));
    }
    switch (j.kind) {
      case JobKind::scan:
        check_hosts(j.scan.hosts, at / "hosts", i);
        break;
      case JobKind::trace:
        check_hosts(j.trace.hosts, at / "hosts", i);
        break;
      case JobKind::fetch:
        server(j.fetch.server, at / "server");
        break;
      case JobKind::fingerprint:
        server(j.fingerprint.server, at / "server");
        break;
    }
  }

  // Every router reachable from the first vantage's router (or the first router): then
  // every vantage reaches every router and server, links being two-way.
  void check_connected() const {
    if (s_.routers.empty()) return;
    std::vector<std::vector<std::size_t>> next(s_.routers.size());
    for (const auto& [ends, link] : links_) {
      next[ends.first].push_back(ends.second);
      next[ends.second].push_back(ends.first);
    }
    std::size_t origin = s_.vantages.empty() ? 0 : routers_.at(s_.vantages[0].attach);
    std::vector<bool> seen(s_.routers.size());
    std::vector<std::size_t> todo{origin};
    seen[origin] = true;
    while (!todo.empty()) {
      std::size_t r = todo.back();
      todo.pop_back();
      for (std::size_t n : next[r]) {
        if (!seen[n]) todo.push_back(n), seen[n] = true;
      }
    }
    for (std::size_t r = 0; r < s_.routers.size(); ++r) {
      if (seen[r]) continue;
      std::string from = s_.vantages.empty() ? fmt::format("router '{}'", s_.routers[origin].name)
                                             : fmt::format("vantage '{}'", s_.vantages[0].name);
      fail(item("routers", r),
           fmt::format("router '{}' cannot be reached from {}: /links leave it unconnected",
                       s_.routers[r].name, from));
    }
  }

  std::string_view source_;
  Scenario& s_;
  std::unordered_map<std::string, std::size_t> routers_;
  std::unordered_map<std::string, std::size_t> servers_;
  std::map<std::pair<std::size_t, std::size_t>, std::size_t>
      links_;  // (lower, higher router) → link index
  std::unordered_map<Ipv4Address, std::pair<std::string, std::string>>
      addresses_;  // → owner, pointer
};

}  // namespace

void check_scenario(std::string_view source, Scenario& scenario) {
  Checker(source, scenario).run();
}

}  // namespace mitmlab
