#include "sim/run-scoring.h"

#include <algorithm>
#include <tuple>

#include <nlohmann/json.hpp>

namespace mitmlab {
namespace {

std::optional<double> ratio(std::size_t num, std::size_t den) {
  if (den == 0) return std::nullopt;
  return static_cast<double>(num) / static_cast<double>(den);
}

nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }
nlohmann::json opt(const std::optional<Ipv4Address>& v) {
  return v ? nlohmann::json(v->to_string()) : nlohmann::json();
}

bool localized(const std::string& verdict) {
  return verdict == "injected-before-server" || verdict == "at-server";
}

}  // namespace

ScanScore score_scan(const std::vector<ScanRecord>& records, Ipv4Address vantage,
                     const std::vector<HijackedFlow>& hijacks) {
  using Key = std::tuple<std::string, std::uint16_t, std::string>;  // host, port, sni
  std::set<Key> truth;
  for (const HijackedFlow& h : hijacks)
    if (h.client == vantage) truth.insert({h.server.to_string(), h.server_port, h.sni});

  ScanScore s;
  s.records = records.size();
  std::set<std::pair<std::string, std::uint16_t>> hosts, tool_hosts, truth_hosts;
  for (const ScanRecord& r : records) {
    hosts.insert({r.address, r.port});
    const bool said = r.verdict == Verdict::injected;
    const bool is = truth.contains({r.address, r.port, r.sni});
    if (said) tool_hosts.insert({r.address, r.port});
    if (is) truth_hosts.insert({r.address, r.port});
    if (said && is) ++s.true_positives;
    if (said && !is) ++s.false_positives;
    if (!said && is) ++s.false_negatives;
  }
  s.hosts = hosts.size();
  s.intercepted = tool_hosts.size();
  s.truth_intercepted = truth_hosts.size();
  s.precision = ratio(s.true_positives, s.true_positives + s.false_positives);
  s.recall = ratio(s.true_positives, s.true_positives + s.false_negatives);
  return s;
}

std::optional<PathBump> true_injection_point(Ipv4Address host, Ipv4Address vantage,
                                             const std::string& sni,
                                             const std::vector<HijackedFlow>& hijacks,
                                             const PathTruth& path) {
  std::set<std::string> hijacking;
  for (const HijackedFlow& h : hijacks)
    if (h.client == vantage && h.server == host && h.sni == sni) hijacking.insert(h.bump);
  for (const PathBump& b : path.bumps)
    if (hijacking.contains(b.name)) return b;
  return std::nullopt;
}

TraceScore score_trace(const std::vector<TraceResult>& results, Ipv4Address vantage,
                       const std::string& sni, const std::vector<HijackedFlow>& hijacks,
                       const std::map<Ipv4Address, PathTruth>& paths) {
  TraceScore s;
  s.hosts = results.size();
  std::map<std::pair<std::optional<Ipv4Address>, std::optional<Ipv4Address>>, std::size_t> pairs;
  std::size_t considered = 0;
  for (const TraceResult& r : results) {
    const bool tool = localized(r.verdict);
    if (tool) {
      ++s.localized;
      ++pairs[{r.hop_before, r.hop_after}];
    }
    if (r.verdict == "injected-before-server") {
      ++s.before_server;
      if (r.hops_before_server) ++s.hops_before_server[*r.hops_before_server];
    }
    std::optional<PathBump> truth;
    auto host = Ipv4Address::parse(r.host.address);
    if (host) {
      if (auto p = paths.find(*host); p != paths.end())
        truth = true_injection_point(*host, vantage, sni, hijacks, p->second);
    }
    if (truth) ++s.truth_injected;
    if (truth || tool) {
      ++considered;
      if (truth && tool && truth->hop_before == r.hop_before && truth->hop_after == r.hop_after)
        ++s.matched;
    }
  }
  for (const auto& [pair, count] : pairs) s.hop_pairs.push_back({pair.first, pair.second, count});
  std::stable_sort(s.hop_pairs.begin(), s.hop_pairs.end(),
                   [](const HopPairCount& a, const HopPairCount& b) { return a.count > b.count; });
  s.accuracy = ratio(s.matched, considered);
  return s;
}

nlohmann::json to_json(const ScanScore& s) {
  return {{"hosts", s.hosts},
          {"records", s.records},
          {"intercepted", s.intercepted},
          {"truth_intercepted", s.truth_intercepted},
          {"true_positives", s.true_positives},
          {"false_positives", s.false_positives},
          {"false_negatives", s.false_negatives},
          {"precision", opt(s.precision)},
          {"recall", opt(s.recall)}};
}

nlohmann::json to_json(const TraceScore& s) {
  nlohmann::json hops = nlohmann::json::object();
  for (const auto& [n, count] : s.hops_before_server) hops[std::to_string(n)] = count;
  nlohmann::json pairs = nlohmann::json::array();
  for (const HopPairCount& p : s.hop_pairs)
    pairs.push_back({{"before", opt(p.before)}, {"after", opt(p.after)}, {"count", p.count}});
  return {{"hosts", s.hosts},
          {"localized", s.localized},
          {"before_server", s.before_server},
          {"hops_before_server", hops},
          {"hop_pairs", pairs},
          {"truth_injected", s.truth_injected},
          {"matched", s.matched},
          {"accuracy", opt(s.accuracy)}};
}

}  // namespace mitmlab
