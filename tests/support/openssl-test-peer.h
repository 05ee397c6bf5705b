// A plain OpenSSL endpoint over memory BIOs for the TLS-leg tests: the real client that
// talks to ClientTermination, the real server that OriginClient talks to. Written apart from
// interceptor/tls so a test never checks the code under test against itself. Throws
// std::runtime_error if OpenSSL refuses the options (a broken test, not a case under test).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

#include "net/bytes.h"
#include "net/openssl.h"

namespace mitmlab::test {

struct TestClientOptions {
  const X509* trusted_root = nullptr;  // null: trusts nothing, so verification fails
  bool verify = true;                  // SSL_VERIFY_PEER: fail the handshake on a bad chain
  std::string sni;                     // "" = none
  int max_version = TLS1_3_VERSION;
  std::time_t verify_time = 0;         // 0 = OS clock (dates of test chains span decades)
};

struct TestServerOptions {
  const X509* leaf = nullptr;
  const EVP_PKEY* key = nullptr;
  std::vector<const X509*> intermediates;
  int max_version = TLS1_3_VERSION;
  std::string cipher_list;  // "" = OpenSSL default
};

class OpenSslTestPeer {
 public:
  static OpenSslTestPeer client(const TestClientOptions& options);
  static OpenSslTestPeer server(const TestServerOptions& options);

  void feed(ByteView in);
  Bytes take_output();
  // Encrypts (after the handshake) and queues the records for take_output().
  void write(ByteView data);
  // Decrypted bytes received so far, removed from the peer.
  Bytes read_plaintext();
  void shutdown();

  bool handshake_done() const { return done_; }
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  bool received_close_notify() const { return got_close_; }
  // X509_V_OK when the chain verified (client).
  long verify_result() const { return SSL_get_verify_result(ssl_.get()); }
  // What this peer saw of the other one's chain, as sent (client: leaf first).
  std::vector<Bytes> peer_chain_der() const;
  int version() const { return SSL_version(ssl_.get()); }
  SSL* ssl() const { return ssl_.get(); }

 private:
  OpenSslTestPeer() = default;
  void attach_bios();
  void advance();

  SslCtxPtr ctx_;
  SslPtr ssl_;
  BIO* in_ = nullptr;   // owned by ssl_
  BIO* out_ = nullptr;  // owned by ssl_
  bool done_ = false;
  bool failed_ = false;
  bool got_close_ = false;
  std::string error_;
  Bytes plaintext_;
};

// Moves bytes both ways until neither side has anything to send. `chunk` > 0 feeds the
// bytes in pieces of that size, to prove nothing depends on record boundaries.
template <typename A, typename B>
void pump(A& a, B& b, std::size_t chunk = 0) {
  auto deliver = [chunk](auto& to, const Bytes& bytes) {
    if (chunk == 0) {
      to.feed(bytes);
      return;
    }
    for (std::size_t i = 0; i < bytes.size(); i += chunk)
      to.feed(ByteView(bytes).subspan(i, std::min(chunk, bytes.size() - i)));
  };
  // Each round moves at least one byte; a TLS exchange needs a handful of rounds per
  // flight, so the bound only stops a broken endpoint that never goes quiet.
  for (int round = 0; round < 10000; ++round) {
    Bytes ab = a.take_output();
    Bytes ba = b.take_output();
    if (ab.empty() && ba.empty()) return;
    if (!ab.empty()) deliver(b, ab);
    if (!ba.empty()) deliver(a, ba);
  }
  throw std::runtime_error("pump: endpoints never went quiet");
}

}  // namespace mitmlab::test
