#include "interceptor/tls/client-termination.h"
#include "net/key-log.h"

#include "interceptor/tls/tls-versions.h"

namespace mitmlab {

Result<ClientTermination> ClientTermination::create(const ServedChain& chain,
                                                    const TerminationOptions& options) {
  if (!chain.leaf || !chain.leaf_key) return make_error("ClientTermination: no leaf or key");
  for (const X509* c : chain.intermediates)
    if (!c) return make_error("ClientTermination: null intermediate");

  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return openssl_error("ClientTermination: SSL_CTX_new");
  attach_key_log(ctx.get());
  // Before the certificate: OpenSSL checks the leaf's key size against this level.
  SSL_CTX_set_security_level(ctx.get(), options.security_level);
  if (Status s = set_version_range(ctx.get(), options.min_version, options.max_version); !s)
    return make_error("ClientTermination: {}", s.message());
  // The system configuration may narrow the defaults; say what the box offers.
  if (!SSL_CTX_set_cipher_list(ctx.get(), "DEFAULT"))
    return openssl_error("ClientTermination: cipher list");
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_num_tickets(ctx.get(), 0);  // TLS 1.3: no NewSessionTicket after the handshake
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  // Many flows may be open at once; idle connections need not keep 34 KB of buffers.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);

  // These take references (up-ref), never ownership: the const_casts only touch counts.
  if (SSL_CTX_use_certificate(ctx.get(), const_cast<X509*>(chain.leaf)) != 1)
    return openssl_error("ClientTermination: leaf refused");
  if (SSL_CTX_use_PrivateKey(ctx.get(), const_cast<EVP_PKEY*>(chain.leaf_key)) != 1)
    return openssl_error("ClientTermination: key refused");
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return openssl_error("ClientTermination: key does not match the leaf");
  // An explicit chain: OpenSSL sends exactly these and builds nothing from a store.
  for (const X509* c : chain.intermediates)
    if (SSL_CTX_add1_chain_cert(ctx.get(), const_cast<X509*>(c)) != 1)
      return openssl_error("ClientTermination: intermediate refused");

  SslPtr ssl(SSL_new(ctx.get()));
  if (!ssl) return openssl_error("ClientTermination: SSL_new");
  SSL_set_accept_state(ssl.get());
  auto leg = TlsLeg::create(std::move(ssl));
  if (!leg) return leg.error();
  return ClientTermination(std::move(ctx), std::move(*leg));
}

std::optional<std::string> ClientTermination::client_sni() const {
  const char* name = SSL_get_servername(leg_->ssl(), TLSEXT_NAMETYPE_host_name);
  if (!name) return std::nullopt;
  return std::string(name);
}

}  // namespace mitmlab
