#include "scanner/trace-verdict.h"

#include <map>

namespace mitmlab {
namespace {

std::optional<Ipv4Address> address_at(const TraceSweep& sweep, unsigned ttl) {
  for (const TraceHop& h : sweep.hops)
    if (h.ttl == ttl) return h.address;
  return std::nullopt;
}

}  // namespace

std::vector<TraceHop> merge_hops(const TraceSweep& test, const TraceSweep& control) {
  std::map<unsigned, TraceHop> by_ttl;
  for (const TraceSweep* sweep : {&test, &control}) {
    for (const TraceHop& h : sweep->hops) {
      TraceHop& merged =
          by_ttl.try_emplace(h.ttl, TraceHop{h.ttl, std::nullopt, false}).first->second;
      if (h.address) merged.address = h.address;  // the control comes second and wins
      merged.answered = merged.answered || h.answered;
    }
  }
  std::vector<TraceHop> hops;
  for (auto& [ttl, hop] : by_ttl) hops.push_back(hop);
  return hops;
}

void judge_trace(TraceResult& result) {
  result.injection_ttl = result.test.answer_ttl;
  result.server_ttl = result.control.answer_ttl;
  result.hops = merge_hops(result.test, result.control);
  result.hop_before.reset();
  result.hop_after.reset();
  result.hops_before_server.reset();

  if (!result.server_ttl) {
    result.verdict = std::string(trace_verdict::kUnreachable);
    return;
  }
  const unsigned m = *result.server_ttl;
  if (!result.injection_ttl || *result.injection_ttl > m) {
    result.verdict = std::string(trace_verdict::kNoInjection);
    return;
  }
  const unsigned n = *result.injection_ttl;
  if (n == m && result.test.leaf_sha256 == result.control.leaf_sha256) {
    result.verdict = std::string(trace_verdict::kNoInjection);
    return;
  }
  result.verdict =
      std::string(n < m ? trace_verdict::kInjectedBeforeServer : trace_verdict::kAtServer);
  result.hops_before_server = m - n;
  // The hop before is the test sweep's last time-exceeded; when that one was lost, the
  // control's at the same TTL (the same router: both sweeps take the path to the box).
  if (n > 0) {
    result.hop_before = address_at(result.test, n - 1);
    if (!result.hop_before) result.hop_before = address_at(result.control, n - 1);
  }
  result.hop_after = address_at(result.control, n);
}

}  // namespace mitmlab
