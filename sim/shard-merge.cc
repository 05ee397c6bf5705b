#include "sim/shard-merge.h"

#include <algorithm>
#include <tuple>

#include "sim/run-scoring.h"

namespace mitmlab {
namespace {

template <typename T>
struct Timed {
  Timestamp time;
  std::size_t shard, order;
  T* item;
};

// Moves the shards' items (each list with its parallel times; none: after the timed ones)
// into one list ordered by (time, shard, order), and the times likewise.
template <typename T>
void merge_by_time(std::vector<std::pair<std::vector<T>*, std::vector<Timestamp>*>> parts, std::vector<T>& items,
                   std::vector<Timestamp>& times) {
  std::vector<Timed<T>> all;
  bool timed = true;
  for (std::size_t s = 0; s < parts.size(); ++s) {
    auto& [list, when] = parts[s];
    if (when->size() != list->size()) timed = false;
    for (std::size_t i = 0; i < list->size(); ++i)
      all.push_back({i < when->size() ? (*when)[i] : Timestamp::max(), s, i, &(*list)[i]});
  }
  std::stable_sort(all.begin(), all.end(), [](const Timed<T>& a, const Timed<T>& b) {
    return std::tie(a.time, a.shard, a.order) < std::tie(b.time, b.shard, b.order);
  });
  items.clear();
  times.clear();
  for (Timed<T>& t : all) {
    items.push_back(std::move(*t.item));
    if (timed) times.push_back(t.time);
  }
}

std::vector<HijackedFlow> merge_hijacks(std::vector<std::vector<HijackedFlow>*> parts) {
  std::vector<HijackedFlow> out;
  for (auto* p : parts) std::move(p->begin(), p->end(), std::back_inserter(out));
  std::stable_sort(out.begin(), out.end(),
                   [](const HijackedFlow& a, const HijackedFlow& b) { return a.time < b.time; });
  return out;
}

JobTiming merge_timing(const std::vector<const JobTiming*>& parts) {
  JobTiming t = *parts.front();
  for (const JobTiming* p : parts) {
    t.started = std::min(t.started, p->started);
    t.finished = std::max(t.finished, p->finished);
    t.completed = t.completed && p->completed;
  }
  return t;
}

void add(EngineCounters& to, const EngineCounters& c) {
  to.flows_seen += c.flows_seen;
  for (std::size_t i = 0; i < to.flows_passthrough_by_reason.size(); ++i)
    to.flows_passthrough_by_reason[i] += c.flows_passthrough_by_reason[i];
  to.flows_hijacked += c.flows_hijacked;
  to.flows_expired += c.flows_expired;
  to.flows_evicted += c.flows_evicted;
  to.flows_closed += c.flows_closed;
  to.origin_checks += c.origin_checks;
  to.origin_check_cache_hits += c.origin_check_cache_hits;
  to.origin_checks_trusted += c.origin_checks_trusted;
  to.origin_checks_untrusted += c.origin_checks_untrusted;
  to.origin_checks_failed += c.origin_checks_failed;
  to.forgeries += c.forgeries;
  to.forge_cache_hits += c.forge_cache_hits;
  to.client_alerts += c.client_alerts;
  to.client_tls_errors += c.client_tls_errors;
  to.malformed_packets += c.malformed_packets;
  to.packets_forwarded += c.packets_forwarded;
  to.packets_dropped += c.packets_dropped;
  to.packets_injected += c.packets_injected;
  to.packets_held += c.packets_held;
  to.packets_released += c.packets_released;
  to.held_bytes_overflows += c.held_bytes_overflows;
  to.retransmissions += c.retransmissions;
  to.bytes_client_to_origin += c.bytes_client_to_origin;
  to.bytes_origin_to_client += c.bytes_origin_to_client;
}
static_assert(sizeof(EngineCounters) == (24 + kPassReasonCount) * sizeof(std::uint64_t),
              "an EngineCounters field was added: sum it in add()");

// What every scan or trace job has: items with their completion times, the hijacks during
// the job and its timing.
template <typename Job, typename Item>
void merge_timed_job(std::vector<RunResults>& shards, std::size_t j, std::vector<Job> RunResults::*jobs,
                     std::vector<Item> Job::*items, std::vector<Timestamp> Job::*times, Job& merged) {
  std::vector<std::pair<std::vector<Item>*, std::vector<Timestamp>*>> parts;
  std::vector<std::vector<HijackedFlow>*> hijacks;
  std::vector<const JobTiming*> timings;
  for (RunResults& s : shards) {
    Job& part = (s.*jobs)[j];
    parts.emplace_back(&(part.*items), &(part.*times));
    hijacks.push_back(&part.hijacks);
    timings.push_back(&part.timing);
  }
  merge_by_time(parts, merged.*items, merged.*times);
  merged.hijacks = merge_hijacks(hijacks);
  merged.timing = merge_timing(timings);
}

template <typename Job>
Status same_names(const std::vector<RunResults>& shards, std::vector<Job> RunResults::*jobs, const char* what) {
  for (std::size_t s = 1; s < shards.size(); ++s) {
    const auto& a = shards[0].*jobs;
    const auto& b = shards[s].*jobs;
    bool same = a.size() == b.size();
    for (std::size_t i = 0; same && i < a.size(); ++i) same = a[i].name == b[i].name;
    if (!same) return make_error("shard {} ran other {} than shard 0", s, what);
  }
  return Ok{};
}

}  // namespace

Result<RunResults> merge_shard_results(std::vector<RunResults> shards) {
  if (shards.empty()) return make_error("no shard results to merge");
  if (Status st = same_names(shards, &RunResults::scans, "scan jobs"); !st) return st.error();
  if (Status st = same_names(shards, &RunResults::traces, "trace jobs"); !st) return st.error();
  if (Status st = same_names(shards, &RunResults::bumps, "boxes"); !st) return st.error();
  if (shards.size() == 1) return std::move(shards.front());

  RunResults out;
  RunResults& first = shards.front();
  out.scenario = first.scenario;
  out.description = first.description;
  out.seed = first.seed;
  out.start = first.start;
  out.job_order = first.job_order;
  for (const RunResults& s : shards) out.sim_seconds = std::max(out.sim_seconds, s.sim_seconds);

  for (std::size_t j = 0; j < first.scans.size(); ++j) {
    ScanJobResult merged;
    const ScanJobResult& a = first.scans[j];
    merged.name = a.name;
    merged.vantage = a.vantage;
    merged.vantage_address = a.vantage_address;
    merged.snis = a.snis;
    merged.control_sni = a.control_sni;
    for (const RunResults& s : shards) merged.hosts += s.scans[j].hosts;
    merge_timed_job(shards, j, &RunResults::scans, &ScanJobResult::records, &ScanJobResult::record_times, merged);
    merged.score = score_scan(merged.records, merged.vantage_address, merged.hijacks);
    out.scans.push_back(std::move(merged));
  }

  for (std::size_t j = 0; j < first.traces.size(); ++j) {
    TraceJobResult merged;
    const TraceJobResult& a = first.traces[j];
    merged.name = a.name;
    merged.vantage = a.vantage;
    merged.mode = a.mode;
    merged.sni = a.sni;
    merged.control_sni = a.control_sni;
    merged.vantage_address = a.vantage_address;
    for (RunResults& s : shards) merged.paths.merge(s.traces[j].paths);
    merge_timed_job(shards, j, &RunResults::traces, &TraceJobResult::results, &TraceJobResult::result_times, merged);
    merged.score = score_trace(merged.results, merged.vantage_address, merged.sni, merged.hijacks, merged.paths);
    out.traces.push_back(std::move(merged));
  }

  // Fetches and fingerprints ran each in one shard: in job order.
  auto position = [&](const std::string& name) {
    return std::find(out.job_order.begin(), out.job_order.end(), name) - out.job_order.begin();
  };
  for (RunResults& s : shards) {
    std::move(s.fetches.begin(), s.fetches.end(), std::back_inserter(out.fetches));
    std::move(s.fingerprints.begin(), s.fingerprints.end(), std::back_inserter(out.fingerprints));
  }
  std::stable_sort(out.fetches.begin(), out.fetches.end(),
                   [&](const auto& a, const auto& b) { return position(a.name) < position(b.name); });
  std::stable_sort(out.fingerprints.begin(), out.fingerprints.end(),
                   [&](const auto& a, const auto& b) { return position(a.name) < position(b.name); });

  out.bumps = first.bumps;
  for (std::size_t s = 1; s < shards.size(); ++s)
    for (std::size_t b = 0; b < out.bumps.size(); ++b) {
      add(out.bumps[b].counters, shards[s].bumps[b].counters);
      out.bumps[b].events += shards[s].bumps[b].events;
    }
  return out;
}

}  // namespace mitmlab
