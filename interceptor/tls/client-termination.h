// The box toward the client: a TLS server over memory BIOs that serves the forged chain
// (facts.md §3: leaf + intermediate, never the root) and hands the client's decrypted bytes
// to the relay. Sans-I/O: the engine feeds the client's TCP payload in and sends what
// take_output() returns; nothing here reads a clock or a socket.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "interceptor/tls/tls-leg.h"
#include "net/bytes.h"
#include "net/client-hello.h"
#include "net/openssl.h"
#include "net/result.h"

namespace mitmlab {

// The chain to serve, borrowed: create() takes its own references (OpenSSL reference
// counts), so the forger's cache may drop its copy afterwards.
struct ServedChain {
  const X509* leaf = nullptr;
  std::vector<const X509*> intermediates;  // sent after the leaf, in this order
  const EVP_PKEY* leaf_key = nullptr;
};

struct TerminationOptions {
  // The highest version offered. TLS 1.2 by default: what was tested in 2019 (facts §1);
  // kTls13 lets a scenario ask what a 1.3-capable box would have looked like.
  std::uint16_t max_version = kTls12;
  // 2019 clients still spoke TLS 1.0; a box that refused them would have stood out.
  std::uint16_t min_version = kTls10;
  // OpenSSL 3 security level 0: the forged leaves were RSA-1024 until 2019-07-19 (level 2
  // refuses them) and TLS 1.0/1.1 need SHA-1 (level 1 refuses that). The client, not the
  // box, decides whether such a handshake is acceptable.
  int security_level = 0;
};

class ClientTermination {
 public:
  // An error if the chain is incomplete, the key does not match the leaf, or OpenSSL refuses
  // the options. Session tickets and the session cache are off (every handshake is full and
  // the box keeps no state between flows); no client certificate is requested.
  static Result<ClientTermination> create(const ServedChain& chain,
                                          const TerminationOptions& options = {});

  // The client's bytes (its ClientHello first), in any pieces.
  TlsLegState feed(ByteView from_client) { return leg_->feed(from_client); }
  // Bytes to send to the client.
  Bytes take_output() { return leg_->take_output(); }
  // Decrypted bytes from the client.
  Bytes read_plaintext() { return leg_->read_plaintext(); }
  // Encrypts toward the client (queued until the handshake completes).
  Status write_plaintext(ByteView data) { return leg_->write_plaintext(data); }
  // Sends close_notify.
  void close() { leg_->close(); }

  TlsLegState state() const { return leg_->state(); }
  // When failed: e.g. kind peer_alert, alert_name "unknown_ca" from a client that does not
  // trust the fake root.
  const std::optional<TlsFailure>& failure() const { return leg_->failure(); }
  const TlsLegCounters& counters() const { return leg_->counters(); }
  std::uint16_t negotiated_version() const { return leg_->negotiated_version(); }
  std::uint16_t negotiated_suite() const { return leg_->negotiated_suite(); }
  std::string negotiated_suite_name() const { return leg_->negotiated_suite_name(); }
  // The host_name the client asked for, as OpenSSL read it from the ClientHello.
  std::optional<std::string> client_sni() const;

 private:
  ClientTermination(SslCtxPtr ctx, std::unique_ptr<TlsLeg> leg)
      : ctx_(std::move(ctx)), leg_(std::move(leg)) {}

  SslCtxPtr ctx_;
  std::unique_ptr<TlsLeg> leg_;
};

}  // namespace mitmlab
