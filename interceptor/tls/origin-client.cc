#include "interceptor/tls/origin-client.h"
#include "net/key-log.h"

#include "interceptor/tls/tls-versions.h"
#include "net/writer.h"

namespace mitmlab {

namespace {

Status configure(SSL_CTX* ctx, const OriginHelloProfile& p) {
  // First: the level filters which suites and signature algorithms may be offered.
  SSL_CTX_set_security_level(ctx, p.security_level);
  if (Status s = set_version_range(ctx, p.min_version, p.max_version); !s) return s;
  if (!p.cipher_list.empty() && SSL_CTX_set_cipher_list(ctx, p.cipher_list.c_str()) != 1)
    return openssl_error("cipher list refused: " + p.cipher_list);
  if (!p.tls13_ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(ctx, p.tls13_ciphersuites.c_str()) != 1)
    return openssl_error("TLS 1.3 suites refused: " + p.tls13_ciphersuites);
  if (!p.groups.empty() && SSL_CTX_set1_groups_list(ctx, p.groups.c_str()) != 1)
    return openssl_error("groups refused: " + p.groups);
  if (!p.signature_algorithms.empty() &&
      SSL_CTX_set1_sigalgs_list(ctx, p.signature_algorithms.c_str()) != 1)
    return openssl_error("signature algorithms refused: " + p.signature_algorithms);

  std::uint64_t options = SSL_OP_NO_RENEGOTIATION;
  if (!p.session_ticket) options |= SSL_OP_NO_TICKET;
  if (!p.extended_master_secret) options |= SSL_OP_NO_EXTENDED_MASTER_SECRET;
  if (!p.encrypt_then_mac) options |= SSL_OP_NO_ENCRYPT_THEN_MAC;
  if (p.allow_legacy_servers) options |= SSL_OP_LEGACY_SERVER_CONNECT;
  SSL_CTX_set_options(ctx, options);
  // Each connection is a fresh full handshake: nothing is resumed, nothing kept.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);

  if (!p.alpn.empty()) {
    Writer w;
    for (const std::string& proto : p.alpn) {
      if (proto.empty() || proto.size() > 255) return make_error("bad ALPN protocol '{}'", proto);
      w.with_length(1, [&] { w.bytes(as_bytes(proto)); });
    }
    // Returns 0 on success, unlike most of OpenSSL.
    if (SSL_CTX_set_alpn_protos(ctx, w.data().data(), static_cast<unsigned>(w.size())) != 0)
      return openssl_error("ALPN refused");
  }
  return Ok{};
}

}  // namespace

// Replaces OpenSSL's chain verification: the leg records the chain and accepts it. Whether
// the origin is trusted is the judge's question, asked at the scenario's time, not here
// (OpenSSL would verify against the OS clock).
int OriginClient::on_server_certificate(X509_STORE_CTX* store_ctx, void* arg) {
  auto* captured = static_cast<Captured*>(arg);
  captured->chain.clear();
  // OpenSSL passes the peer's list as sent (leaf first) as the untrusted certificates.
  STACK_OF(X509)* sent = X509_STORE_CTX_get0_untrusted(store_ctx);
  if (sent && sk_X509_num(sent) > 0) {
    for (int i = 0; i < sk_X509_num(sent); ++i)
      captured->chain.push_back(x509_to_der(sk_X509_value(sent, i)));
  } else if (X509* leaf = X509_STORE_CTX_get0_cert(store_ctx)) {
    captured->chain.push_back(x509_to_der(leaf));
  }
  return 1;
}

Result<OriginClient> OriginClient::create(const OriginHelloProfile& profile,
                                          std::string_view sni) {
  OriginClient c;
  c.profile_name_ = profile.name;
  c.captured_ = std::make_unique<Captured>();
  c.ctx_.reset(SSL_CTX_new(TLS_client_method()));
  if (!c.ctx_) return openssl_error("OriginClient: SSL_CTX_new");
  attach_key_log(c.ctx_.get());
  if (Status s = configure(c.ctx_.get(), profile); !s)
    return make_error("OriginClient profile '{}': {}", profile.name, s.message());
  SSL_CTX_set_verify(c.ctx_.get(), SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_cert_verify_callback(c.ctx_.get(), &OriginClient::on_server_certificate,
                                   c.captured_.get());

  SslPtr ssl(SSL_new(c.ctx_.get()));
  if (!ssl) return openssl_error("OriginClient: SSL_new");
  if (!sni.empty()) {
    std::string name(sni);
    // OpenSSL takes a C string: a NUL inside would silently shorten the name.
    if (name.find('\0') != std::string::npos) return make_error("OriginClient: NUL in SNI");
    if (SSL_set_tlsext_host_name(ssl.get(), name.c_str()) != 1)
      return openssl_error("OriginClient: SNI refused: " + name);
  }
  SSL_set_connect_state(ssl.get());
  auto leg = TlsLeg::create(std::move(ssl));
  if (!leg) return leg.error();
  c.leg_ = std::move(*leg);
  // Writes the ClientHello into the output.
  if (c.leg_->drive() == TlsLegState::failed)
    return make_error("OriginClient: no ClientHello: {}", c.leg_->failure()->message);
  return c;
}

}  // namespace mitmlab
