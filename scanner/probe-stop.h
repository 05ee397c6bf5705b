// Where a successful TLS probe stops (scanner/tls-probe.h); a scenario's scan jobs name it.
#pragma once

#include <optional>
#include <string_view>

namespace mitmlab {

enum class ProbeStop {
  finished,     // complete the handshake (default)
  certificate,  // stop once the server's Certificate is read: nothing after it is processed
                // (no ServerKeyExchange check, no key exchange) and nothing more is sent
};

// "finished" or "certificate", as the CLI's --stop-at and a scan job's "stop_at" spell it;
// nullopt for anything else.
inline std::optional<ProbeStop> probe_stop_named(std::string_view name) {
  if (name == "finished") return ProbeStop::finished;
  if (name == "certificate") return ProbeStop::certificate;
  return std::nullopt;
}

}  // namespace mitmlab
