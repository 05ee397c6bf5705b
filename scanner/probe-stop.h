// Where a successful TLS probe stops (scanner/tls-probe.h); a scenario's scan jobs name it.
#pragma once

namespace mitmlab {

enum class ProbeStop {
  finished,     // complete the handshake (default)
  certificate,  // stop once the server's Certificate is read: nothing after it is processed
                // (no ServerKeyExchange check, no key exchange) and nothing more is sent
};

}  // namespace mitmlab
