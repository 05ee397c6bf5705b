#include "cli/memory-handshake.h"

#include <array>

#include "sim/tls-client-app.h"

namespace mitmlab::cli {
namespace {

struct Side {
  SslPtr ssl;
  BIO* in = nullptr;   // owned by ssl
  BIO* out = nullptr;  // owned by ssl
  bool done = false;
  bool failed = false;
};

bool attach(Side& side, SSL_CTX* ctx) {
  side.ssl.reset(SSL_new(ctx));
  BioPtr in(BIO_new(BIO_s_mem())), out(BIO_new(BIO_s_mem()));
  if (!side.ssl || !in || !out) return false;
  side.in = in.release();
  side.out = out.release();
  SSL_set_bio(side.ssl.get(), side.in, side.out);
  return true;
}

void advance(Side& side) {
  if (side.done || side.failed) return;
  const int r = SSL_do_handshake(side.ssl.get());
  if (r == 1)
    side.done = true;
  else if (SSL_get_error(side.ssl.get(), r) != SSL_ERROR_WANT_READ)
    side.failed = true;
}

// Moves what `from` wrote into `to`'s read BIO; false when there was nothing.
bool move(Side& from, Side& to) {
  std::array<char, 16384> buf;
  bool moved = false;
  for (int n; (n = BIO_read(from.out, buf.data(), static_cast<int>(buf.size()))) > 0;) {
    BIO_write(to.in, buf.data(), n);
    moved = true;
  }
  return moved;
}

}  // namespace

Result<MemoryHandshaker> MemoryHandshaker::create(X509_STORE* trust, std::int64_t verify_time) {
  MemoryHandshaker h;
  h.client_ctx_ = MakeTlsClientContext(trust, 0, verify_time);
  h.server_ctx_.reset(SSL_CTX_new(TLS_server_method()));
  if (!h.client_ctx_ || !h.server_ctx_) return openssl_error("SSL_CTX_new");
  SSL_CTX* s = h.server_ctx_.get();
  SSL_CTX_set_options(s, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(s, 0);
  SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
  return h;
}

MemoryHandshakeResult MemoryHandshaker::handshake(const TlsCredentials& server, const std::string& sni) const {
  MemoryHandshakeResult result;
  Side client, srv;
  if (!attach(client, client_ctx_.get()) || !attach(srv, server_ctx_.get())) {
    result.error = "SSL_new/BIO_new failed: " + drain_openssl_errors();
    return result;
  }
  X509StackPtr chain(sk_X509_new_null());
  for (const X509Ptr& cert : server.intermediates) {
    X509_up_ref(cert.get());
    sk_X509_push(chain.get(), cert.get());
  }
  if (SSL_use_cert_and_key(srv.ssl.get(), server.leaf.get(), server.key.get(), chain.get(), 1) != 1) {
    result.error = "SSL_use_cert_and_key failed: " + drain_openssl_errors();
    return result;
  }
  if (!sni.empty()) {
    SSL_set_tlsext_host_name(client.ssl.get(), sni.c_str());
    SSL_set1_host(client.ssl.get(), sni.c_str());
  }
  SSL_set_connect_state(client.ssl.get());
  SSL_set_accept_state(srv.ssl.get());
  // A TLS 1.3 handshake takes three flights; the bound only stops a peer that never finishes.
  for (int round = 0; round < 64 && !(client.done && srv.done); ++round) {
    advance(client);
    const bool to_server = move(client, srv);
    advance(srv);
    const bool to_client = move(srv, client);
    if (client.failed || srv.failed || (!to_server && !to_client && !(client.done && srv.done))) break;
  }
  if (client.done && srv.done) {
    SSL_shutdown(client.ssl.get());
    move(client, srv);
    char byte;
    SSL_read(srv.ssl.get(), &byte, 1);  // takes the close_notify
  }
  result.done = client.done && srv.done;
  result.verify_result = SSL_get_verify_result(client.ssl.get());
  result.version = SSL_get_version(client.ssl.get());
  if (!result.done) result.error = "handshake did not finish: " + drain_openssl_errors();
  return result;
}

}  // namespace mitmlab::cli
