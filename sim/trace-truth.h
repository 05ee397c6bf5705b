// Ground truth for one traced host, from a trace job's recorded paths and hijacks (the
// per-host form of what score_trace counts), and the choice of the example traceroute the
// report prints. Shared by sim/figure-values.h and the report document.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "sim/run-results.h"

namespace mitmlab {

// The bump that truly injected on this host's traced flows, if any.
std::optional<PathBump> trace_truth(const TraceJobResult& job, const TraceResult& result);

// Hops between that bump and the server, as the localizer counts them (server TTL minus
// injection TTL): the routers after the bump on the path.
unsigned truth_hops_before_server(const TraceJobResult& job, const TraceResult& result, const PathBump& bump);

// `host` when the job traced it, else the first host localized before the server, else the
// first localized one; nullptr when there is none.
const TraceResult* example_trace_host(const TraceJobResult& job, std::string_view host);

// "3 hops (7 hosts)": the most frequent count; "" for an empty histogram.
std::string hop_count_mode(const std::map<unsigned, std::size_t>& histogram);

}  // namespace mitmlab
