// What an interceptor engine is told to do: which flows it targets, when, how many, which
// roots it trusts, how it forges, and the bounds that keep it from growing without limit.
// Every field has a default taken from what is known of the 2019 Kazakhstan box (facts.md)
// or, where nothing was published, a documented assumption. A scenario states only what it
// changes; to_json() writes the whole effective configuration into the results so a run can
// be reproduced from its output alone.
//
// JSON form (every key optional; unknown keys are an error so that a typo is not silently
// ignored):
//   {
//     "targets": ["facebook.com", ...],          // SNI names; lower-cased, one trailing dot removed
//     "match": "exact" | "suffix",               // case-insensitive value
//     "ports": [443],                            // server ports, 1..65535
//     "schedule": {
//       "origin": "2019-07-17T00:00:00Z",        // optional: the UTC calendar time of scenario time 0
//       "active": [ {"start": 0, "end": 3600},   // seconds from scenario start, [start, end)
//                   {"start": "2019-07-22T12:00:00Z", "end": "2019-07-26T18:00:00Z"} ]  // needs origin
//     },                                         // "active" absent or null: always on; []: never on
//     "sample_fraction": 1.0,                    // in [0, 1]
//     "sample_key": "mitmlab-sample",            // any string; keys the sampling hash
//     "trust_store": ["roots.pem", "-----BEGIN CERTIFICATE-----..."],
//     "forging_profile": "qaznet-2019",
//     "seed": 1,                                 // unsigned 64-bit
//     "origin_client_hello_profile": "kz-2019",
//     "max_client_tls_version": "1.2" | "1.3",
//     "injected_ttl": 64,                        // 1..255
//     "bounds": {"max_flows": 65536, "max_held_bytes_per_flow": 65536,
//                "max_buffered_bytes_per_flow": 1048576},
//     "timeouts": {"handshake_idle": 30, "established_idle": 300, "origin_check": 10}  // seconds, > 0
//   }
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/clock.h"
#include "net/result.h"

namespace mitmlab {

enum class MatchMode : std::uint8_t {
  kExact,   // the SNI equals a target (case-insensitive): what the 2019 lists suggest (facts §1)
  kSuffix,  // the SNI equals a target or ends with "." + target: for "what if" scenarios
};

// "exact" or "suffix".
std::string_view match_mode_name(MatchMode mode);

// One period during which the box intercepts, in scenario time: [start, end).
struct ScheduleInterval {
  Duration start{};
  Duration end{};
  friend bool operator==(const ScheduleInterval&, const ScheduleInterval&) = default;
};

// When the box is switched on. The 2019 box was intermittent (facts §1: stopped early on
// 07-22, resumed ~9 h later, paused 07-26 evening to 07-30 morning), so a scenario can
// replay those periods, written either as seconds or as calendar times.
struct Schedule {
  // Empty optional: always on (the default). An empty list: never on.
  std::optional<std::vector<ScheduleInterval>> active;
  // The UTC calendar time of scenario time 0; only needed to write intervals as calendar times,
  // kept so that results can say which calendar period a scenario reproduced.
  std::optional<std::chrono::sys_time<std::chrono::nanoseconds>> calendar_origin;

  bool active_at(Timestamp now) const;
  friend bool operator==(const Schedule&, const Schedule&) = default;
};

struct EngineBounds {
  // Flows tracked at once; a new flow beyond it is passed through and counted (table_full).
  std::size_t max_flows = 65536;
  // Client bytes held back while a ClientHello is incomplete or its origin is being checked.
  // 64 KiB matches the ClientHello reassembler's cap (Envoy's TLS inspector uses the same).
  std::size_t max_held_bytes_per_flow = 64 * 1024;
  // Bytes a hijacked flow may buffer per direction when one leg is slower than the other.
  std::size_t max_buffered_bytes_per_flow = 1024 * 1024;
  friend bool operator==(const EngineBounds&, const EngineBounds&) = default;
};

struct EngineTimeouts {
  // A flow that has not finished its TCP handshake, or has not completed its ClientHello.
  Duration handshake_idle = std::chrono::seconds(30);
  // An established flow (passthrough or hijacked) with no packet in either direction.
  Duration established_idle = std::chrono::seconds(300);
  // The box's own connection to the origin to fetch and judge its certificate; on expiry
  // the origin counts as unreachable and the client's flow passes through.
  Duration origin_check = std::chrono::seconds(10);
  friend bool operator==(const EngineTimeouts&, const EngineTimeouts&) = default;
};

struct EngineConfig {
  // Targeted SNI names, lower case without a trailing dot. Default: the 37 of facts §2.
  std::vector<std::string> targets;
  MatchMode match = MatchMode::kExact;
  // Server ports the box looks at. Every 2019 probe used 443 (facts §1, an assumption).
  std::vector<std::uint16_t> ports{443};
  Schedule schedule;
  // Share of otherwise-intercepted flows that are intercepted, chosen by a keyed hash of the
  // 4-tuple (see target-policy.h): models "necessary but not sufficient" (facts §1).
  double sample_fraction = 1.0;
  std::string sample_key = "mitmlab-sample";
  // Roots the box trusts when judging an origin's certificate: each entry is a PEM file path
  // or inline PEM text (starts with "-----BEGIN"). Empty: the caller supplies the store.
  // load_engine_config() resolves relative paths against the config file's directory.
  std::vector<std::string> trust_store;
  // Names resolved elsewhere: the forging rules (forge/) and the ClientHello the box sends
  // to origins (facts §5: TLS 1.0 record, TLS 1.2 hello, 13 suites).
  std::string forging_profile = "qaznet-2019";
  std::string origin_client_hello_profile = "kz-2019";
  // Seeds the fake authority's and forged leaves' keys, and any other choice the engine makes.
  std::uint64_t seed = 1;
  // Highest TLS version the box's server leg offers clients (wire value, 0x0303 = TLS 1.2).
  // 2019 tests used TLS 1.2 and below (facts §1); 1.3 is an option for "what if" runs.
  std::uint16_t max_client_tls_version = 0x0303;
  // IP TTL of packets the box injects. 64 is the Linux default; the TTL probes (facts §7)
  // only need the box to answer, not a particular TTL.
  std::uint8_t injected_ttl = 64;
  EngineBounds bounds;
  EngineTimeouts timeouts;

  // All defaults, with the 37 default targets.
  EngineConfig();
  friend bool operator==(const EngineConfig&, const EngineConfig&) = default;
};

// Reads a configuration object; keys not given keep their defaults. Errors read
// "engine config <source_name>: <what> at <JSON pointer>".
Result<EngineConfig> parse_engine_config(const nlohmann::json& json, std::string_view source_name);

// Reads and parses a JSON file; relative trust_store paths are resolved against its directory.
Result<EngineConfig> load_engine_config(const std::string& path);

// The effective configuration, in the form parse_engine_config() reads back to an equal value.
nlohmann::json to_json(const EngineConfig& config);

// "2019-07-22T03:00:00Z" (optional fraction of a second; UTC only, "Z" required).
std::optional<std::chrono::sys_time<std::chrono::nanoseconds>> parse_utc_time(std::string_view text);
std::string format_utc_time(std::chrono::sys_time<std::chrono::nanoseconds> time);

}  // namespace mitmlab
