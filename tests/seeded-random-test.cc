// The seeded RAND_METHOD makes OpenSSL deterministic: same seed, same bytes on the wire.
#define BOOST_TEST_MODULE seeded_random
#include <boost/test/unit_test.hpp>

#include <openssl/rand.h>

#include "net/openssl.h"
#include "net/seeded-random.h"
#include "tests/support/memory-handshake.h"
#include "tests/support/test-pki.h"

using namespace mitmlab;

namespace {

struct Transcript {
  Bytes client_to_server;
  Bytes server_to_client;
  Bytes leaf_der;
  bool done = false;
};

// One full TLS handshake plus a short exchange, in memory, with certificates made inside.
Transcript handshake_in_memory(int max_version) {
  test::TestCa ca = test::make_test_ca("Seed Test CA");
  TlsCredentialsPtr leaf = test::make_test_leaf(ca, {"example.test"}, 7);

  SslCtxPtr sctx(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_set_options(sctx.get(), SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(sctx.get(), 0);
  SSL_CTX_use_certificate(sctx.get(), leaf->leaf.get());
  SSL_CTX_use_PrivateKey(sctx.get(), leaf->key.get());
  SslCtxPtr cctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_max_proto_version(cctx.get(), max_version);
  X509StorePtr store = test::make_trust_store(ca);
  X509_STORE_up_ref(store.get());
  SSL_CTX_set_cert_store(cctx.get(), store.get());
  SSL_CTX_set_verify(cctx.get(), SSL_VERIFY_PEER, nullptr);

  test::MemoryHandshake h = test::run_memory_handshake(cctx.get(), sctx.get(), "example.test");
  Transcript t;
  t.done = h.done;
  if (t.done) {
    SSL_write(h.client.get(), "ping", 4);
    h.shuttle();
    char buf[16];
    SSL_read(h.server.get(), buf, sizeof buf);
    SSL_write(h.server.get(), "pong", 4);
    h.shuttle();
    SSL_read(h.client.get(), buf, sizeof buf);
    h.shuttle();
    X509Ptr peer(SSL_get1_peer_certificate(h.client.get()));
    if (peer) t.leaf_der = x509_to_der(peer.get());
  }
  t.client_to_server = std::move(h.client_to_server);
  t.server_to_client = std::move(h.server_to_client);
  return t;
}

Transcript seeded_handshake(std::string_view seed, int max_version) {
  SeededRandomGuard guard(as_bytes(seed));
  Transcript t = handshake_in_memory(max_version);
  BOOST_TEST(guard.bytes_drawn() > 0u);  // OpenSSL really drew from the seeded stream
  return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(stream_is_a_function_of_the_seed) {
  SeededStream a(as_bytes("one")), b(as_bytes("one")), c(as_bytes("two"));
  Bytes x(100), y(100), z(100);
  // Uneven draws must still give the same stream.
  a.fill(x.data(), 37);
  a.fill(x.data() + 37, 63);
  b.fill(y.data(), 100);
  c.fill(z.data(), 100);
  BOOST_TEST(x == y);
  BOOST_TEST(x != z);
}

BOOST_AUTO_TEST_CASE(same_seed_gives_identical_tls13_transcripts) {
  Transcript first = seeded_handshake("seed-1", TLS1_3_VERSION);
  Transcript second = seeded_handshake("seed-1", TLS1_3_VERSION);
  BOOST_TEST_REQUIRE(first.done);
  BOOST_TEST_REQUIRE(second.done);
  BOOST_TEST(first.client_to_server == second.client_to_server);
  BOOST_TEST(first.server_to_client == second.server_to_client);
  BOOST_TEST(first.leaf_der == second.leaf_der);
  BOOST_TEST(!first.leaf_der.empty());
}

BOOST_AUTO_TEST_CASE(same_seed_gives_identical_tls12_transcripts) {
  Transcript first = seeded_handshake("seed-1", TLS1_2_VERSION);
  Transcript second = seeded_handshake("seed-1", TLS1_2_VERSION);
  BOOST_TEST_REQUIRE(first.done);
  BOOST_TEST(first.client_to_server == second.client_to_server);
  BOOST_TEST(first.server_to_client == second.server_to_client);
}

BOOST_AUTO_TEST_CASE(different_seeds_give_different_transcripts) {
  Transcript first = seeded_handshake("seed-1", TLS1_3_VERSION);
  Transcript other = seeded_handshake("seed-2", TLS1_3_VERSION);
  BOOST_TEST_REQUIRE(other.done);
  BOOST_TEST(first.client_to_server != other.client_to_server);
  BOOST_TEST(first.leaf_der != other.leaf_der);
}

BOOST_AUTO_TEST_CASE(guard_restores_openssl_randomness) {
  Bytes seeded(32), again(32);
  {
    SeededRandomGuard guard(as_bytes("restore"));
    RAND_bytes(seeded.data(), 32);
  }
  {
    SeededRandomGuard guard(as_bytes("restore"));
    RAND_bytes(again.data(), 32);
  }
  BOOST_TEST(seeded == again);
  Bytes free1(32), free2(32);
  RAND_bytes(free1.data(), 32);
  RAND_bytes(free2.data(), 32);
  BOOST_TEST(free1 != free2);
  BOOST_TEST(free1 != seeded);
}

BOOST_AUTO_TEST_CASE(nested_guard_serves_its_own_stream_and_the_outer_one_resumes) {
  // Reference: the outer stream's first 64 bytes, and the inner stream's first 32, alone.
  Bytes outer_alone(64), inner_alone(32);
  {
    SeededRandomGuard guard(as_bytes("outer"));
    RAND_bytes(outer_alone.data(), 64);
  }
  {
    SeededRandomGuard guard(as_bytes("inner"));
    RAND_bytes(inner_alone.data(), 32);
  }
  Bytes first(32), inner(32), second(32);
  {
    SeededRandomGuard outer(as_bytes("outer"));
    RAND_bytes(first.data(), 32);
    {
      SeededRandomGuard nested(as_bytes("inner"));
      RAND_bytes(inner.data(), 32);
      BOOST_TEST(outer.bytes_drawn() == 32u, "the outer stream is untouched while nested");
    }
    RAND_bytes(second.data(), 32);
  }
  BOOST_TEST(inner == inner_alone);
  BOOST_TEST((first == Bytes(outer_alone.begin(), outer_alone.begin() + 32)));
  BOOST_TEST((second == Bytes(outer_alone.begin() + 32, outer_alone.end())),
             "the outer stream resumes where it was");
  // And the process is unseeded again afterwards.
  Bytes free1(32);
  RAND_bytes(free1.data(), 32);
  BOOST_TEST(free1 != first);
}
