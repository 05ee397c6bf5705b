#include "sim/run-results-codec.h"

#include <array>
#include <chrono>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

namespace mitmlab {
namespace {

using json = nlohmann::json;

struct CodecError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Every struct's put/get, declared first so that the templates below find them.
#define MITMLAB_CODEC_DECLARE(Type) \
  json put(const Type& v);          \
  void get(const json& j, Type& v);
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
json put(const std::optional<T>& v);
template <typename T>
void get(const json& j, std::optional<T>& v);
template <typename T>
json put(const std::vector<T>& v);
template <typename T>
void get(const json& j, std::vector<T>& v);
template <typename T, std::size_t N>
json put(const std::array<T, N>& v);
template <typename T, std::size_t N>
void get(const json& j, std::array<T, N>& v);
template <typename K, typename V>
json put(const std::map<K, V>& v);
template <typename K, typename V>
void get(const json& j, std::map<K, V>& v);

// Scalars.
json put(const std::string& v) { return v; }
void get(const json& j, std::string& v) {
  if (!j.is_string()) throw CodecError("expected a string");
  v = j.get<std::string>();
}
json put(bool v) { return v; }
void get(const json& j, bool& v) {
  if (!j.is_boolean()) throw CodecError("expected a boolean");
  v = j.get<bool>();
}
template <typename T>
  requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>)
json put(T v) {
  return v;
}
template <typename T>
  requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>)
void get(const json& j, T& v) {
  if (!j.is_number()) throw CodecError("expected a number");
  if constexpr (std::is_integral_v<T>) {
    if (!j.is_number_integer()) throw CodecError("expected an integer");
    if constexpr (std::is_unsigned_v<T>) {
      if (j.is_number_unsigned() ? j.get<std::uint64_t>() > std::numeric_limits<T>::max() : j.get<std::int64_t>() < 0)
        throw CodecError("integer out of range");
    } else {
      const std::int64_t x = j.get<std::int64_t>();
      if (x < std::numeric_limits<T>::min() || x > std::numeric_limits<T>::max())
        throw CodecError("integer out of range");
    }
  }
  v = j.get<T>();
}
template <typename E>
  requires std::is_enum_v<E>
json put(E v) {
  return static_cast<std::int64_t>(v);
}
template <typename E>
  requires std::is_enum_v<E>
void get(const json& j, E& v) {
  std::int64_t n = 0;
  get(j, n);
  v = static_cast<E>(n);
}
json put(std::chrono::nanoseconds v) { return v.count(); }
void get(const json& j, std::chrono::nanoseconds& v) {
  std::int64_t n = 0;
  get(j, n);
  v = std::chrono::nanoseconds(n);
}
json put(const std::chrono::sys_time<std::chrono::nanoseconds>& v) { return v.time_since_epoch().count(); }
void get(const json& j, std::chrono::sys_time<std::chrono::nanoseconds>& v) {
  std::int64_t n = 0;
  get(j, n);
  v = std::chrono::sys_time<std::chrono::nanoseconds>(std::chrono::nanoseconds(n));
}
json put(Ipv4Address v) { return v.value; }
void get(const json& j, Ipv4Address& v) {
  std::uint32_t n = 0;
  get(j, n);
  v = Ipv4Address(n);
}
json put(const Bytes& v) { return json::binary(v); }
void get(const json& j, Bytes& v) {
  if (!j.is_binary()) throw CodecError("expected a byte string");
  v = j.get_binary();
}

// Containers.
template <typename T>
json put(const std::optional<T>& v) {
  return v ? json::array({put(*v)}) : json::array();
}
template <typename T>
void get(const json& j, std::optional<T>& v) {
  if (!j.is_array() || j.size() > 1) throw CodecError("expected an optional");
  v.reset();
  if (j.size() == 1) get(j[0], v.emplace());
}
template <typename T>
json put(const std::vector<T>& v) {
  json a = json::array();
  for (const T& x : v) a.push_back(put(x));
  return a;
}
template <typename T>
void get(const json& j, std::vector<T>& v) {
  if (!j.is_array()) throw CodecError("expected a list");
  v.assign(j.size(), T{});
  for (std::size_t i = 0; i < j.size(); ++i) get(j[i], v[i]);
}
template <typename T, std::size_t N>
json put(const std::array<T, N>& v) {
  json a = json::array();
  for (const T& x : v) a.push_back(put(x));
  return a;
}
template <typename T, std::size_t N>
void get(const json& j, std::array<T, N>& v) {
  if (!j.is_array() || j.size() != N) throw CodecError("expected a list of " + std::to_string(N));
  for (std::size_t i = 0; i < N; ++i) get(j[i], v[i]);
}
template <typename K, typename V>
json put(const std::map<K, V>& v) {
  json a = json::array();
  for (const auto& [k, x] : v) a.push_back(json::array({put(k), put(x)}));
  return a;
}
template <typename K, typename V>
void get(const json& j, std::map<K, V>& v) {
  if (!j.is_array()) throw CodecError("expected a map");
  v.clear();
  for (const json& e : j) {
    if (!e.is_array() || e.size() != 2) throw CodecError("expected a map entry");
    K k{};
    get(e[0], k);
    get(e[1], v[k]);
  }
}

// Structs: their fields, in order, as one list.
template <typename... F>
json put_fields(const std::tuple<F...>& fields) {
  json a = json::array();
  std::apply([&](const auto&... f) { (a.push_back(put(f)), ...); }, fields);
  return a;
}
template <typename... F>
void get_fields(const json& j, std::tuple<F...> fields, const char* type) {
  if (!j.is_array() || j.size() != sizeof...(F))
    throw CodecError(std::string("expected ") + type + " (" + std::to_string(sizeof...(F)) + " fields)");
  std::size_t i = 0;
  try {
    std::apply([&](auto&... f) { (get(j[i++], f), ...); }, fields);
  } catch (const CodecError& e) {
    throw CodecError(std::string(type) + " field " + std::to_string(i - 1) + ": " + e.what());
  }
}
#define MITMLAB_CODEC(Type, ...)                                                   \
  json put(const Type& v) { return put_fields(std::tie(__VA_ARGS__)); }            \
  void get(const json& j, Type& v) { get_fields(j, std::tie(__VA_ARGS__), #Type); }

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

// Tags the encoding, so that other CBOR is refused as such.
constexpr std::string_view kFormat = "mitmlab-run-results/1";

}  // namespace

Bytes encode_run_results(const RunResults& results) {
  return json::to_cbor(json::array({kFormat, put(results)}));
}

Result<RunResults> decode_run_results(ByteView bytes) {
  try {
    const json doc = json::from_cbor(bytes.begin(), bytes.end());
    if (!doc.is_array() || doc.size() != 2 || doc[0] != kFormat)
      return make_error("run results: not a {} encoding", kFormat);
    RunResults r;
    get(doc[1], r);
    return r;
  } catch (const CodecError& e) {
    return make_error("run results: {}", e.what());
  } catch (const json::exception& e) {
    return make_error("run results: not a valid encoding: {}", e.what());
  }
}

}  // namespace mitmlab
