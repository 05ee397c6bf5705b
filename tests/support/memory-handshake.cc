#include "tests/support/memory-handshake.h"

namespace mitmlab::test {
namespace {

void move_bytes(BIO* from, BIO* to, Bytes& record) {
  char buf[4096];
  int n;
  while ((n = BIO_read(from, buf, sizeof buf)) > 0) {
    record.insert(record.end(), buf, buf + n);
    BIO_write(to, buf, n);
  }
}

}  // namespace

void MemoryHandshake::shuttle() {
  move_bytes(client_out_, server_in_, client_to_server);
  move_bytes(server_out_, client_in_, server_to_client);
}

MemoryHandshake run_memory_handshake(SSL_CTX* client_ctx, SSL_CTX* server_ctx, const char* server_name) {
  MemoryHandshake h;
  h.client.reset(SSL_new(client_ctx));
  h.server.reset(SSL_new(server_ctx));
  h.client_in_ = BIO_new(BIO_s_mem());
  h.client_out_ = BIO_new(BIO_s_mem());
  h.server_in_ = BIO_new(BIO_s_mem());
  h.server_out_ = BIO_new(BIO_s_mem());
  SSL_set_bio(h.client.get(), h.client_in_, h.client_out_);
  SSL_set_bio(h.server.get(), h.server_in_, h.server_out_);
  SSL_set_tlsext_host_name(h.client.get(), server_name);
  SSL_set_connect_state(h.client.get());
  SSL_set_accept_state(h.server.get());
  for (int round = 0; round < 20 && !h.done; ++round) {
    const int c = SSL_do_handshake(h.client.get());
    move_bytes(h.client_out_, h.server_in_, h.client_to_server);
    const int s = SSL_do_handshake(h.server.get());
    move_bytes(h.server_out_, h.client_in_, h.server_to_client);
    h.done = c == 1 && s == 1;
  }
  return h;
}

}  // namespace mitmlab::test
