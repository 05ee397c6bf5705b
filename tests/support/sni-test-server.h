// An OpenSSL TLS server over memory BIOs that serves a chain chosen by the ClientHello's SNI,
// as a virtual host does (OpenSSL's servername callback switches the SSL_CTX). Written apart
// from scanner/ so the scanner's probe is checked against a real, independent TLS server.
// Throws std::runtime_error if OpenSSL refuses the set-up (a broken test).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/bytes.h"
#include "net/openssl.h"

namespace mitmlab::test {

class SniTestServer;

struct ServedChain {
  const X509* leaf = nullptr;
  const EVP_PKEY* key = nullptr;
  std::vector<const X509*> intermediates;
};

struct SniTestServerOptions {
  ServedChain default_chain;                  // no SNI, or a name not listed below
  std::map<std::string, ServedChain> by_sni;  // exact, lower-case names
  int min_version = TLS1_VERSION;
  int max_version = TLS1_3_VERSION;
};

// The contexts (one per chain) are built once and shared by every connection.
class SniTestServerContexts {
 public:
  explicit SniTestServerContexts(const SniTestServerOptions& options);
  SSL_CTX* default_context() const { return default_.get(); }
  SSL_CTX* context_for(const std::string& sni) const;

 private:
  SslCtxPtr default_;
  std::map<std::string, SslCtxPtr> by_sni_;
};

class SniTestServer {
  friend class SniTestServerContexts;

 public:
  explicit SniTestServer(std::shared_ptr<const SniTestServerContexts> contexts);
  // Its address is registered with OpenSSL: it stays where it was made.
  SniTestServer(const SniTestServer&) = delete;
  SniTestServer& operator=(const SniTestServer&) = delete;

  void feed(ByteView in);
  Bytes take_output();
  bool handshake_done() const { return done_; }
  bool failed() const { return failed_; }
  // The SNI the client sent: nullopt before the ClientHello, "" when it sent none.
  const std::optional<std::string>& seen_sni() const { return *seen_sni_; }
  int version() const { return SSL_version(ssl_.get()); }

 private:
  static int on_servername(SSL* ssl, int* alert, void* arg);

  std::shared_ptr<const SniTestServerContexts> contexts_;
  std::unique_ptr<std::optional<std::string>> seen_sni_;  // stable address for the callback
  SslPtr ssl_;
  BIO* in_ = nullptr;
  BIO* out_ = nullptr;
  bool done_ = false;
  bool failed_ = false;
};

}  // namespace mitmlab::test
