#include "tests/support/openssl-test-peer.h"

#include <array>
#include <stdexcept>

#include <openssl/err.h>

namespace mitmlab::test {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(openssl_error("OpenSslTestPeer: " + what).message);
}

}  // namespace

OpenSslTestPeer OpenSslTestPeer::client(const TestClientOptions& o) {
  OpenSslTestPeer p;
  p.ctx_.reset(SSL_CTX_new(TLS_client_method()));
  if (!p.ctx_) fail("SSL_CTX_new");
  if (!SSL_CTX_set_max_proto_version(p.ctx_.get(), o.max_version)) fail("max version");
  if (o.trusted_root &&
      X509_STORE_add_cert(SSL_CTX_get_cert_store(p.ctx_.get()), const_cast<X509*>(o.trusted_root)) != 1)
    fail("trust root");
  if (o.verify_time != 0) X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(p.ctx_.get()), o.verify_time);
  SSL_CTX_set_verify(p.ctx_.get(), o.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  p.ssl_.reset(SSL_new(p.ctx_.get()));
  if (!p.ssl_) fail("SSL_new");
  if (!o.sni.empty() && SSL_set_tlsext_host_name(p.ssl_.get(), o.sni.c_str()) != 1) fail("SNI");
  SSL_set_connect_state(p.ssl_.get());
  p.attach_bios();
  p.advance();  // the ClientHello
  return p;
}

OpenSslTestPeer OpenSslTestPeer::server(const TestServerOptions& o) {
  OpenSslTestPeer p;
  p.ctx_.reset(SSL_CTX_new(TLS_server_method()));
  if (!p.ctx_) fail("SSL_CTX_new");
  SSL_CTX_set_security_level(p.ctx_.get(), 0);  // serve old-style suites the profile offers
  if (!SSL_CTX_set_max_proto_version(p.ctx_.get(), o.max_version)) fail("max version");
  if (!o.cipher_list.empty() && SSL_CTX_set_cipher_list(p.ctx_.get(), o.cipher_list.c_str()) != 1)
    fail("cipher list");
  if (SSL_CTX_use_certificate(p.ctx_.get(), const_cast<X509*>(o.leaf)) != 1 ||
      SSL_CTX_use_PrivateKey(p.ctx_.get(), const_cast<EVP_PKEY*>(o.key)) != 1)
    fail("certificate/key");
  for (const X509* c : o.intermediates)
    if (SSL_CTX_add1_chain_cert(p.ctx_.get(), const_cast<X509*>(c)) != 1) fail("chain");
  p.ssl_.reset(SSL_new(p.ctx_.get()));
  if (!p.ssl_) fail("SSL_new");
  SSL_set_accept_state(p.ssl_.get());
  p.attach_bios();
  return p;
}

void OpenSslTestPeer::attach_bios() {
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (!in_ || !out_) fail("BIO_new");
  BIO_set_mem_eof_return(in_, -1);
  SSL_set_bio(ssl_.get(), in_, out_);
}

void OpenSslTestPeer::feed(ByteView in) {
  if (!in.empty()) BIO_write(in_, in.data(), static_cast<int>(in.size()));
  advance();
}

void OpenSslTestPeer::advance() {
  if (failed_) return;
  ERR_clear_error();
  if (!done_) {
    int rc = SSL_do_handshake(ssl_.get());
    if (rc != 1) {
      int err = SSL_get_error(ssl_.get(), rc);
      if (err != SSL_ERROR_WANT_READ) {
        failed_ = true;
        error_ = drain_openssl_errors();
      }
      return;
    }
    done_ = true;
  }
  std::array<unsigned char, 16384> buf;
  for (;;) {
    std::size_t n = 0;
    int rc = SSL_read_ex(ssl_.get(), buf.data(), buf.size(), &n);
    if (rc == 1) {
      plaintext_.insert(plaintext_.end(), buf.data(), buf.data() + n);
      continue;
    }
    int err = SSL_get_error(ssl_.get(), rc);
    if (err == SSL_ERROR_ZERO_RETURN) got_close_ = true;
    else if (err != SSL_ERROR_WANT_READ) {
      failed_ = true;
      error_ = drain_openssl_errors();
    }
    return;
  }
}

Bytes OpenSslTestPeer::take_output() {
  Bytes out(BIO_ctrl_pending(out_));
  if (!out.empty()) BIO_read(out_, out.data(), static_cast<int>(out.size()));
  return out;
}

void OpenSslTestPeer::write(ByteView data) {
  std::size_t written = 0;
  if (SSL_write_ex(ssl_.get(), data.data(), data.size(), &written) != 1 || written != data.size())
    fail("SSL_write_ex");
}

Bytes OpenSslTestPeer::read_plaintext() {
  Bytes out = std::move(plaintext_);
  plaintext_.clear();
  return out;
}

void OpenSslTestPeer::shutdown() { SSL_shutdown(ssl_.get()); }

std::vector<Bytes> OpenSslTestPeer::peer_chain_der() const {
  std::vector<Bytes> out;
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_.get());
  for (int i = 0; chain && i < sk_X509_num(chain); ++i)
    out.push_back(x509_to_der(sk_X509_value(chain, i)));
  return out;
}

}  // namespace mitmlab::test
