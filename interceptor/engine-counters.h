// What the engine counts. Tests and scenario results assert on these numbers, not on log
// text; every field is written by to_json() under its own name, so a result file shows
// the whole picture even where a count is zero.
#pragma once

#include <array>
#include <cstdint>
#include <numeric>

#include <nlohmann/json.hpp>

#include "interceptor/pass-reason.h"

namespace mitmlab {

struct EngineCounters {
  // Flows: each flow seen is, in the end, passed through (with a reason) or hijacked.
  std::uint64_t flows_seen = 0;
  std::array<std::uint64_t, kPassReasonCount> flows_passthrough_by_reason{};
  std::uint64_t flows_hijacked = 0;
  std::uint64_t flows_expired = 0;  // removed after idling past their timeout
  std::uint64_t flows_evicted = 0;  // removed early to make room for a new flow
  std::uint64_t flows_closed = 0;   // removed after FIN, RST or a client alert

  // The origin check (facts §5): the box's own TLS connection to fetch the real certificate.
  std::uint64_t origin_checks = 0;
  std::uint64_t origin_check_cache_hits = 0;
  std::uint64_t origin_checks_trusted = 0;
  std::uint64_t origin_checks_untrusted = 0;
  std::uint64_t origin_checks_failed = 0;  // unreachable, reset or timed out

  // Forging (facts §3).
  std::uint64_t forgeries = 0;
  std::uint64_t forge_cache_hits = 0;

  // TLS toward the client.
  std::uint64_t client_alerts = 0;      // clients that rejected the forged chain
  std::uint64_t client_tls_errors = 0;  // other failures of the client-facing handshake

  // Packets. Hostile or broken input is counted here, never asserted (style.md §5).
  std::uint64_t malformed_packets = 0;
  std::uint64_t packets_forwarded = 0;
  std::uint64_t packets_dropped = 0;   // absorbed: held, retransmissions of held data, hijacked flows
  std::uint64_t packets_injected = 0;  // sent by the box itself (both legs, origin checks)
  std::uint64_t packets_held = 0;      // client segments kept while a decision was pending
  std::uint64_t packets_released = 0;  // held segments later forwarded byte-identical
  std::uint64_t held_bytes_overflows = 0;  // flows whose held bytes passed max_held_bytes_per_flow
  std::uint64_t retransmissions = 0;   // segments the box's own TCP endpoints sent again

  // Relayed plaintext of hijacked flows.
  std::uint64_t bytes_client_to_origin = 0;
  std::uint64_t bytes_origin_to_client = 0;

  void count_passthrough(PassReason reason) { ++flows_passthrough_by_reason[static_cast<std::size_t>(reason)]; }
  std::uint64_t passthrough(PassReason reason) const {
    return flows_passthrough_by_reason[static_cast<std::size_t>(reason)];
  }
  std::uint64_t flows_passthrough() const {
    return std::accumulate(flows_passthrough_by_reason.begin(), flows_passthrough_by_reason.end(), std::uint64_t{0});
  }
};

inline nlohmann::json to_json(const EngineCounters& c) {
  nlohmann::json by_reason = nlohmann::json::object();
  for (PassReason r : all_pass_reasons()) by_reason[std::string(reason_name(r))] = c.passthrough(r);
  return {
      {"flows_seen", c.flows_seen},
      {"flows_passthrough", c.flows_passthrough()},
      {"flows_passthrough_by_reason", std::move(by_reason)},
      {"flows_hijacked", c.flows_hijacked},
      {"flows_expired", c.flows_expired},
      {"flows_evicted", c.flows_evicted},
      {"flows_closed", c.flows_closed},
      {"origin_checks", c.origin_checks},
      {"origin_check_cache_hits", c.origin_check_cache_hits},
      {"origin_checks_trusted", c.origin_checks_trusted},
      {"origin_checks_untrusted", c.origin_checks_untrusted},
      {"origin_checks_failed", c.origin_checks_failed},
      {"forgeries", c.forgeries},
      {"forge_cache_hits", c.forge_cache_hits},
      {"client_alerts", c.client_alerts},
      {"client_tls_errors", c.client_tls_errors},
      {"malformed_packets", c.malformed_packets},
      {"packets_forwarded", c.packets_forwarded},
      {"packets_dropped", c.packets_dropped},
      {"packets_injected", c.packets_injected},
      {"packets_held", c.packets_held},
      {"packets_released", c.packets_released},
      {"held_bytes_overflows", c.held_bytes_overflows},
      {"retransmissions", c.retransmissions},
      {"bytes_client_to_origin", c.bytes_client_to_origin},
      {"bytes_origin_to_client", c.bytes_origin_to_client},
  };
}

}  // namespace mitmlab
