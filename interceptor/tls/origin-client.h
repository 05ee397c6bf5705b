// The box toward the origin server: a TLS client over memory BIOs that sends the box's own
// ClientHello (an OriginHelloProfile, "kz-2019" by default) with the client's SNI, and then
// relays plaintext. It does not verify the server: on a check connection the engine hands
// server_chain_der() to the OriginCertificateJudge, which decides at the scenario's time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "interceptor/tls/origin-hello-profile.h"
#include "interceptor/tls/tls-leg.h"
#include "net/bytes.h"
#include "net/openssl.h"
#include "net/result.h"

namespace mitmlab {

class OriginClient {
 public:
  // `sni` is the name from the client's ClientHello ("" sends no server_name). The
  // ClientHello is ready in take_output() when this returns.
  static Result<OriginClient> create(const OriginHelloProfile& profile, std::string_view sni);

  // The server's bytes, in any pieces.
  TlsLegState feed(ByteView from_server) { return leg_->feed(from_server); }
  // Bytes to send to the server: first the ClientHello.
  Bytes take_output() { return leg_->take_output(); }
  Bytes read_plaintext() { return leg_->read_plaintext(); }
  // Encrypts toward the server (queued until the handshake completes).
  Status write_plaintext(ByteView data) { return leg_->write_plaintext(data); }
  void close() { leg_->close(); }

  TlsLegState state() const { return leg_->state(); }
  const std::optional<TlsFailure>& failure() const { return leg_->failure(); }
  const TlsLegCounters& counters() const { return leg_->counters(); }
  std::uint16_t negotiated_version() const { return leg_->negotiated_version(); }
  std::uint16_t negotiated_suite() const { return leg_->negotiated_suite(); }
  std::string negotiated_suite_name() const { return leg_->negotiated_suite_name(); }

  // True once the server's Certificate message has been read: in TLS 1.2 that is in its
  // first flight, before the handshake completes, which is all a check connection needs.
  bool has_server_chain() const { return !captured_->chain.empty(); }
  // The certificates exactly as the server sent them, leaf first, DER.
  const std::vector<Bytes>& server_chain_der() const { return captured_->chain; }
  const std::string& profile_name() const { return profile_name_; }

 private:
  // Filled by OpenSSL's certificate callback; on the heap so the address OpenSSL holds
  // survives moves of the OriginClient.
  struct Captured {
    std::vector<Bytes> chain;
  };
  static int on_server_certificate(X509_STORE_CTX* store_ctx, void* arg);

  OriginClient() = default;

  std::string profile_name_;
  std::unique_ptr<Captured> captured_;
  SslCtxPtr ctx_;
  std::unique_ptr<TlsLeg> leg_;
};

}  // namespace mitmlab
