#include "sim/trace-truth.h"

#include <fmt/core.h>

namespace mitmlab {

std::optional<PathBump> trace_truth(const TraceJobResult& job, const TraceResult& r) {
  auto host = Ipv4Address::parse(r.host.address);
  if (!host) return std::nullopt;
  auto path = job.paths.find(*host);
  if (path == job.paths.end()) return std::nullopt;
  return true_injection_point(*host, job.vantage_address, job.sni, job.hijacks, path->second);
}

unsigned truth_hops_before_server(const TraceJobResult& job, const TraceResult& r, const PathBump& bump) {
  auto host = Ipv4Address::parse(r.host.address);
  if (!host) return 0;
  auto path = job.paths.find(*host);
  if (path == job.paths.end() || path->second.hops.size() < bump.hops_before) return 0;
  return static_cast<unsigned>(path->second.hops.size() - bump.hops_before);
}

const TraceResult* example_trace_host(const TraceJobResult& job, std::string_view host) {
  if (!host.empty())
    for (const TraceResult& r : job.results)
      if (r.host.address == host) return &r;
  for (const char* verdict : {"injected-before-server", "at-server"})
    for (const TraceResult& r : job.results)
      if (r.verdict == verdict) return &r;
  return nullptr;
}

std::string hop_count_mode(const std::map<unsigned, std::size_t>& histogram) {
  const std::pair<const unsigned, std::size_t>* best = nullptr;
  for (const auto& entry : histogram)
    if (!best || entry.second > best->second) best = &entry;
  if (!best || best->second == 0) return "";
  return fmt::format("mostly {} hops ({} hosts)", best->first, best->second);
}

}  // namespace mitmlab
