// A TLS client and server joined by memory BIOs, for tests that compare what crosses the wire.
#pragma once

#include "net/bytes.h"
#include "net/openssl.h"

namespace mitmlab::test {

struct MemoryHandshake {
  SslPtr client, server;
  Bytes client_to_server, server_to_client;  // every byte that crossed, in order
  bool done = false;                          // both sides finished the handshake

  // Moves whatever each side wrote to the other, recording it.
  void shuttle();

 private:
  friend MemoryHandshake run_memory_handshake(SSL_CTX*, SSL_CTX*, const char*);
  BIO* client_in_ = nullptr;  // the four BIOs are owned by the two SSLs
  BIO* client_out_ = nullptr;
  BIO* server_in_ = nullptr;
  BIO* server_out_ = nullptr;
};

// Connects an SSL of each context (the client sending `server_name` as SNI) and drives the
// handshake for up to 20 rounds.
MemoryHandshake run_memory_handshake(SSL_CTX* client_ctx, SSL_CTX* server_ctx, const char* server_name);

}  // namespace mitmlab::test
