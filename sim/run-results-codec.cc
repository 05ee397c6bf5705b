#include "sim/run-results-codec.h"

#include <array>
#include <chrono>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "sim/hand-over-encoding.h"

namespace mitmlab {
namespace {

using W = HandOverWriter;
using R = HandOverReader;

// Every struct's put/get, declared first so that the templates below find them.
#define MITMLAB_CODEC_DECLARE(Type) \
  void put(W& w, const Type& v);    \
  void get(R& r, Type& v);
MITMLAB_CODEC_DECLARE(ScanHost)
MITMLAB_CODEC_DECLARE(Attribution)
MITMLAB_CODEC_DECLARE(ScanRecord)
MITMLAB_CODEC_DECLARE(HijackedFlow)
MITMLAB_CODEC_DECLARE(ScanScore)
MITMLAB_CODEC_DECLARE(JobTiming)
MITMLAB_CODEC_DECLARE(ScanJobResult)
MITMLAB_CODEC_DECLARE(TraceHop)
MITMLAB_CODEC_DECLARE(TraceSweep)
MITMLAB_CODEC_DECLARE(TraceResult)
MITMLAB_CODEC_DECLARE(PathBump)
MITMLAB_CODEC_DECLARE(PathTruth)
MITMLAB_CODEC_DECLARE(HopPairCount)
MITMLAB_CODEC_DECLARE(TraceScore)
MITMLAB_CODEC_DECLARE(TraceJobResult)
MITMLAB_CODEC_DECLARE(FetchJobResult)
MITMLAB_CODEC_DECLARE(ObservedClientHello)
MITMLAB_CODEC_DECLARE(FingerprintJobResult)
MITMLAB_CODEC_DECLARE(EngineCounters)
MITMLAB_CODEC_DECLARE(ScheduleInterval)
MITMLAB_CODEC_DECLARE(Schedule)
MITMLAB_CODEC_DECLARE(BumpResult)
MITMLAB_CODEC_DECLARE(RunResults)
#undef MITMLAB_CODEC_DECLARE
template <typename T>
void put(W& w, const std::optional<T>& v);
template <typename T>
void get(R& r, std::optional<T>& v);
template <typename T>
void put(W& w, const std::vector<T>& v);
template <typename T>
void get(R& r, std::vector<T>& v);
template <typename T, std::size_t N>
void put(W& w, const std::array<T, N>& v);
template <typename T, std::size_t N>
void get(R& r, std::array<T, N>& v);
template <typename K, typename V>
void put(W& w, const std::map<K, V>& v);
template <typename K, typename V>
void get(R& r, std::map<K, V>& v);

// Scalars.
void put(W& w, const std::string& v) { w.text(v); }
void get(R& r, std::string& v) { v = r.text(); }
void put(W& w, bool v) { w.boolean(v); }
void get(R& r, bool& v) { v = r.boolean(); }
template <typename T>
  requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>)
void put(W& w, T v) {
  if constexpr (std::is_floating_point_v<T>) w.real(v);
  else if constexpr (std::is_unsigned_v<T>) w.unsigned_int(v);
  else w.signed_int(v);
}
template <typename T>
  requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>)
void get(R& r, T& v) {
  if constexpr (std::is_floating_point_v<T>) {
    v = static_cast<T>(r.real());
  } else if constexpr (std::is_unsigned_v<T>) {
    const std::uint64_t x = r.unsigned_int();
    if (x > std::numeric_limits<T>::max()) throw HandOverError("integer out of range");
    v = static_cast<T>(x);
  } else {
    const std::int64_t x = r.signed_int();
    if (x < std::numeric_limits<T>::min() || x > std::numeric_limits<T>::max())
      throw HandOverError("integer out of range");
    v = static_cast<T>(x);
  }
}
template <typename E>
  requires std::is_enum_v<E>
void put(W& w, E v) {
  w.signed_int(static_cast<std::int64_t>(v));
}
template <typename E>
  requires std::is_enum_v<E>
void get(R& r, E& v) {
  v = static_cast<E>(r.signed_int());
}
void put(W& w, std::chrono::nanoseconds v) { w.signed_int(v.count()); }
void get(R& r, std::chrono::nanoseconds& v) { v = std::chrono::nanoseconds(r.signed_int()); }
void put(W& w, const std::chrono::sys_time<std::chrono::nanoseconds>& v) {
  w.signed_int(v.time_since_epoch().count());
}
void get(R& r, std::chrono::sys_time<std::chrono::nanoseconds>& v) {
  v = std::chrono::sys_time<std::chrono::nanoseconds>(std::chrono::nanoseconds(r.signed_int()));
}
void put(W& w, Ipv4Address v) { w.unsigned_int(v.value); }
void get(R& r, Ipv4Address& v) {
  std::uint32_t n = 0;
  get(r, n);
  v = Ipv4Address(n);
}
void put(W& w, const Bytes& v) { w.blob(v); }
void get(R& r, Bytes& v) { v = r.blob(); }

// Containers.
template <typename T>
void put(W& w, const std::optional<T>& v) {
  w.list(v ? 1 : 0);
  if (v) put(w, *v);
}
template <typename T>
void get(R& r, std::optional<T>& v) {
  const std::size_t n = r.list();
  if (n > 1) throw HandOverError("expected an optional, found a list of " + std::to_string(n));
  v.reset();
  if (n == 1) get(r, v.emplace());
}
template <typename T>
void put(W& w, const std::vector<T>& v) {
  w.list(v.size());
  for (const T& x : v) put(w, x);
}
template <typename T>
void get(R& r, std::vector<T>& v) {
  v.assign(r.list(), T{});
  for (T& x : v) get(r, x);
}
template <typename T, std::size_t N>
void put(W& w, const std::array<T, N>& v) {
  w.list(N);
  for (const T& x : v) put(w, x);
}
template <typename T, std::size_t N>
void get(R& r, std::array<T, N>& v) {
  if (r.list() != N) throw HandOverError("expected a list of " + std::to_string(N));
  for (T& x : v) get(r, x);
}
template <typename K, typename V>
void put(W& w, const std::map<K, V>& v) {
  w.list(v.size());
  for (const auto& [k, x] : v) {
    put(w, k);
    put(w, x);
  }
}
template <typename K, typename V>
void get(R& r, std::map<K, V>& v) {
  v.clear();
  for (std::size_t n = r.list(); n > 0; --n) {
    K k{};
    get(r, k);
    get(r, v[k]);
  }
}

// Structs: their field count, then their fields in order.
template <typename... F>
void put_fields(W& w, const std::tuple<F...>& fields) {
  w.fields(sizeof...(F));
  std::apply([&](const auto&... f) { (put(w, f), ...); }, fields);
}
template <typename... F>
void get_fields(R& r, std::tuple<F...> fields, const char* type) {
  r.fields(sizeof...(F), type);
  std::size_t i = 0;
  try {
    std::apply([&](auto&... f) { ((get(r, f), ++i), ...); }, fields);
  } catch (const HandOverError& e) {
    throw HandOverError(std::string(type) + " field " + std::to_string(i) + ": " + e.what());
  }
}
#define MITMLAB_CODEC(Type, ...)                                                         \
  void put(W& w, const Type& v) { put_fields(w, std::tie(__VA_ARGS__)); }                \
  void get(R& r, Type& v) { get_fields(r, std::tie(__VA_ARGS__), #Type); }

MITMLAB_CODEC(ScanHost, v.address, v.port)
MITMLAB_CODEC(Attribution, v.authority, v.genuine, v.label, v.depth, v.field, v.name)
MITMLAB_CODEC(ScanRecord, v.address, v.port, v.sni, v.control_sni, v.verdict, v.row, v.attribution, v.untrusted,
              v.chains_differ, v.reason, v.test_outcome, v.test_alert, v.leaf_subject, v.leaf_issuer, v.leaf_sha256,
              v.chain_length, v.version, v.suite, v.connect_ms, v.first_byte_ms, v.handshake_ms, v.control_outcome,
              v.control_leaf_sha256, v.retries, v.control_retries, v.profile, v.test_chain, v.control_chain)
MITMLAB_CODEC(HijackedFlow, v.bump, v.time, v.client, v.client_port, v.server, v.server_port, v.sni)
MITMLAB_CODEC(ScanScore, v.hosts, v.records, v.intercepted, v.truth_intercepted, v.true_positives, v.false_positives,
              v.false_negatives, v.precision, v.recall)
MITMLAB_CODEC(JobTiming, v.started, v.finished, v.completed)
MITMLAB_CODEC(ScanJobResult, v.name, v.vantage, v.vantage_address, v.snis, v.control_sni, v.hosts, v.records,
              v.record_times, v.hijacks, v.score, v.timing)
MITMLAB_CODEC(TraceHop, v.ttl, v.address, v.answered)
MITMLAB_CODEC(TraceSweep, v.sni, v.hops, v.answer_ttl, v.rtt, v.leaf_sha256, v.issuer, v.error)
MITMLAB_CODEC(TraceResult, v.host, v.mode, v.test, v.control, v.injection_ttl, v.server_ttl, v.hop_before, v.hop_after,
              v.hops_before_server, v.verdict, v.hops)
MITMLAB_CODEC(PathBump, v.name, v.hops_before, v.hop_before, v.hop_after)
MITMLAB_CODEC(PathTruth, v.hops, v.bumps)
MITMLAB_CODEC(HopPairCount, v.before, v.after, v.count)
MITMLAB_CODEC(TraceScore, v.hosts, v.localized, v.before_server, v.hops_before_server, v.hop_pairs, v.truth_injected,
              v.matched, v.accuracy)
MITMLAB_CODEC(TraceJobResult, v.name, v.vantage, v.mode, v.sni, v.control_sni, v.vantage_address, v.results,
              v.result_times, v.paths, v.hijacks, v.score, v.timing)
MITMLAB_CODEC(FetchJobResult, v.name, v.vantage, v.server, v.sni, v.path, v.server_address, v.handshake_done,
              v.verified, v.status_line, v.body_bytes, v.body_intact, v.chain, v.error, v.truth_hijacked, v.timing)
MITMLAB_CODEC(ObservedClientHello, v.time, v.client, v.sni, v.ja3, v.ja3_string, v.ja4, v.tls_version)
MITMLAB_CODEC(FingerprintJobResult, v.name, v.server, v.server_address, v.hellos, v.timing)
MITMLAB_CODEC(EngineCounters, v.flows_seen, v.flows_passthrough_by_reason, v.flows_hijacked, v.flows_expired,
              v.flows_evicted, v.flows_closed, v.origin_checks, v.origin_check_cache_hits, v.origin_checks_trusted,
              v.origin_checks_untrusted, v.origin_checks_failed, v.forgeries, v.forge_cache_hits, v.client_alerts,
              v.client_tls_errors, v.malformed_packets, v.packets_forwarded, v.packets_dropped, v.packets_injected,
              v.packets_held, v.packets_released, v.held_bytes_overflows, v.retransmissions, v.bytes_client_to_origin,
              v.bytes_origin_to_client)
MITMLAB_CODEC(ScheduleInterval, v.start, v.end)
MITMLAB_CODEC(Schedule, v.active, v.calendar_origin)
MITMLAB_CODEC(BumpResult, v.name, v.a, v.b, v.counters, v.events, v.schedule)
MITMLAB_CODEC(RunResults, v.scenario, v.description, v.seed, v.start, v.sim_seconds, v.scans, v.traces, v.fetches,
              v.fingerprints, v.bumps, v.job_order)
#undef MITMLAB_CODEC
static_assert(sizeof(EngineCounters) == (24 + kPassReasonCount) * sizeof(std::uint64_t),
              "an EngineCounters field was added: encode it above and sum it in sim/shard-merge.cc");


// Tags the encoding, so that other bytes are refused as such.
constexpr std::string_view kFormat = "mitmlab-run-results/2";

}  // namespace

Bytes encode_run_results(const RunResults& results) {
  HandOverWriter w;
  w.text(kFormat);
  put(w, results);
  return w.take();
}

Result<RunResults> decode_run_results(ByteView bytes) {
  HandOverReader r(bytes);
  try {
    if (r.text() != kFormat) return make_error("run results: not a {} encoding", kFormat);
  } catch (const HandOverError&) {
    return make_error("run results: not a {} encoding", kFormat);
  }
  try {
    RunResults results;
    get(r, results);
    if (!r.at_end()) return make_error("run results: bytes after the end");
    return results;
  } catch (const HandOverError& e) {
    return make_error("run results: {}", e.what());
  }
}

}  // namespace mitmlab
