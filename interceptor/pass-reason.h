// Why a flow was passed through untouched. One enum for the policy's reasons and the
// engine's, so the counters, the event log and the ground truth all use the same names.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mitmlab {

enum class PassReason : std::uint8_t {
  // Decided by TargetPolicy, in the order it checks them.
  kPort,          // server port not in the configured ports
  kScheduleOff,   // the box is switched off at this time
  kNoSni,         // the ClientHello carries no server_name
  kNotTarget,     // the SNI names no target
  kNotSampled,    // a target, but the keyed hash left this 4-tuple out of the sample
  // Decided by the engine.
  kUntrustedOrigin,       // the origin's certificate does not validate against the trust store
  kOriginUnreachable,     // the box's own connection to the origin failed or timed out
  kTableFull,             // the flow table was full when the flow began
  kHandshakeNotSeen,      // packets of a connection whose TCP handshake the box did not see
  kNotTls,                // the first client bytes are not a TLS handshake record
  kMalformedClientHello,  // a TLS handshake record whose ClientHello does not parse
};

inline constexpr std::size_t kPassReasonCount = 11;

// Stable snake_case names, used as JSON keys and values in results: never rename one.
constexpr std::string_view reason_name(PassReason reason) {
  constexpr std::array<std::string_view, kPassReasonCount> names = {
      "port",           "schedule_off",       "no_sni",     "not_target",
      "not_sampled",    "untrusted_origin",   "origin_unreachable", "table_full",
      "handshake_not_seen", "not_tls",        "malformed_client_hello",
  };
  auto index = static_cast<std::size_t>(reason);
  return index < names.size() ? names[index] : std::string_view("unknown");
}

// Every reason, in enum order, for loops over counters.
constexpr std::array<PassReason, kPassReasonCount> all_pass_reasons() {
  std::array<PassReason, kPassReasonCount> all{};
  for (std::size_t i = 0; i < kPassReasonCount; ++i) all[i] = static_cast<PassReason>(i);
  return all;
}

}  // namespace mitmlab
