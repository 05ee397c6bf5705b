// TLS handshakes with no network, for `mitmlab bench sim`: an OpenSSL client and server in one
// process joined by memory BIOs, set up as sim/tls-client-app and sim/tls-server-app set up
// theirs (the client's context is MakeTlsClientContext's) — no tickets, no session cache, the server's chain chosen per connection, the client
// verifying at a fixed time and recording the result instead of aborting. Each side keeps
// one SSL_CTX for every handshake: this is the bare cost of the cryptography and of OpenSSL's
// state machine, the floor a simulated handshake is measured against.
#pragma once

#include <cstdint>
#include <string>

#include "net/openssl.h"
#include "net/result.h"
#include "sim/tls-credentials.h"

namespace mitmlab::cli {

struct MemoryHandshakeResult {
  bool done = false;       // both sides finished the handshake
  long verify_result = -1;  // the client's X509_V_OK (0) when the chain and name verified
  std::string version;      // "TLSv1.3"
  std::string error;
};

class MemoryHandshaker {
 public:
  // `trust`: the client's roots (a reference is taken); `verify_time`: Unix seconds, 0 = now.
  static Result<MemoryHandshaker> create(X509_STORE* trust, std::int64_t verify_time);

  // One fresh handshake, the client sending `sni` and verifying that name; the client then
  // sends close_notify, as TlsClientApp does after a handshake-only connection.
  MemoryHandshakeResult handshake(const TlsCredentials& server, const std::string& sni) const;

 private:
  MemoryHandshaker() = default;
  SslCtxPtr client_ctx_;
  SslCtxPtr server_ctx_;
};

}  // namespace mitmlab::cli
