#include "tests/support/sni-test-server.h"

#include <openssl/err.h>

#include <stdexcept>

namespace mitmlab::test {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(openssl_error("SniTestServer: " + what).message);
}

SslCtxPtr make_context(const ServedChain& chain, const SniTestServerOptions& o) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) fail("SSL_CTX_new");
  SSL_CTX_set_security_level(ctx.get(), 0);
  if (!SSL_CTX_set_min_proto_version(ctx.get(), o.min_version) ||
      !SSL_CTX_set_max_proto_version(ctx.get(), o.max_version))
    fail("versions");
  if (SSL_CTX_use_certificate(ctx.get(), const_cast<X509*>(chain.leaf)) != 1 ||
      SSL_CTX_use_PrivateKey(ctx.get(), const_cast<EVP_PKEY*>(chain.key)) != 1)
    fail("certificate/key");
  for (const X509* c : chain.intermediates)
    if (SSL_CTX_add1_chain_cert(ctx.get(), const_cast<X509*>(c)) != 1) fail("chain");
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  return ctx;
}

}  // namespace

SniTestServerContexts::SniTestServerContexts(const SniTestServerOptions& o)
    : default_(make_context(o.default_chain, o)) {
  for (const auto& [name, chain] : o.by_sni) by_sni_[name] = make_context(chain, o);
  // The callback runs on the context a connection starts with: the default one.
  SSL_CTX_set_tlsext_servername_callback(default_.get(), &SniTestServer::on_servername);
}

SSL_CTX* SniTestServerContexts::context_for(const std::string& sni) const {
  auto it = by_sni_.find(sni);
  return it == by_sni_.end() ? default_.get() : it->second.get();
}

SniTestServer::SniTestServer(std::shared_ptr<const SniTestServerContexts> contexts)
    : contexts_(std::move(contexts)), seen_sni_(std::make_unique<std::optional<std::string>>()) {
  ssl_.reset(SSL_new(contexts_->default_context()));
  if (!ssl_) fail("SSL_new");
  SSL_set_app_data(ssl_.get(), this);
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (!in_ || !out_) fail("BIO_new");
  BIO_set_mem_eof_return(in_, -1);
  SSL_set_bio(ssl_.get(), in_, out_);
  SSL_set_accept_state(ssl_.get());
}

// Called while the ClientHello is processed (also when it has no SNI).
int SniTestServer::on_servername(SSL* ssl, int*, void*) {
  auto* self = static_cast<SniTestServer*>(SSL_get_app_data(ssl));
  if (!self) return SSL_TLSEXT_ERR_OK;
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  *self->seen_sni_ = name ? std::string(name) : std::string();
  SSL_CTX* chosen = self->contexts_->context_for(name ? name : "");
  if (chosen != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, chosen);
  return SSL_TLSEXT_ERR_OK;
}

void SniTestServer::feed(ByteView in) {
  if (failed_) return;
  if (!in.empty()) BIO_write(in_, in.data(), static_cast<int>(in.size()));
  if (done_) return;
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_.get());
  if (rc == 1) {
    done_ = true;
    return;
  }
  int err = SSL_get_error(ssl_.get(), rc);
  if (err != SSL_ERROR_WANT_READ) failed_ = true;
  ERR_clear_error();
}

Bytes SniTestServer::take_output() {
  Bytes out(BIO_ctrl_pending(out_));
  if (!out.empty()) BIO_read(out_, out.data(), static_cast<int>(out.size()));
  return out;
}

}  // namespace mitmlab::test
