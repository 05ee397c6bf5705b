// The probes' OpenSSL library context (net/certificate-reading-context.h): certificates read
// in it carry the same keys, it offers no decoder beyond public keys and no cipher beyond
// TLS's, a TLS client or server in it has every suite it has in the default context, and a
// client in it sends and accepts exactly the bytes a client in the default context does.
#define BOOST_TEST_MODULE certificate_reading_context
#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

#include <openssl/decoder.h>
#include <openssl/pem.h>

#include "net/certificate-reading-context.h"
#include "net/openssl.h"
#include "net/seeded-random.h"
#include "tests/support/memory-handshake.h"
#include "tests/support/test-pki.h"

using namespace mitmlab;

namespace {

OSSL_LIB_CTX* reading() {
  auto ctx = certificate_reading_context();
  BOOST_TEST_REQUIRE(ctx.ok(), (ctx.ok() ? "" : ctx.message()));
  return *ctx;
}

// The first certificate of tests/fixtures/certs/<name>, read in the default context.
X509Ptr fixture(const std::string& name) {
  BioPtr bio(BIO_new_file((std::string(MITMLAB_FIXTURES) + "/certs/" + name).c_str(), "r"));
  if (!bio) return nullptr;
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

X509Ptr parse_in(OSSL_LIB_CTX* ctx, const Bytes& der) {
  X509Ptr x(X509_new_ex(ctx, nullptr));
  X509* raw = x.get();
  const unsigned char* p = der.data();
  if (d2i_X509(&raw, &p, static_cast<long>(der.size())) == nullptr) return nullptr;
  return x;
}

struct Transcript {
  Bytes client_to_server, server_to_client, leaf_der;
  bool done = false;
};

// A TLS 1.2 handshake in memory, seeded, with the client's SSL_CTX in `client_library`
// (nullptr: the default context); the client checks the chain against the CA.
Transcript seeded_handshake(OSSL_LIB_CTX* client_library) {
  SeededRandomGuard guard(as_bytes("certificate-reading"));
  test::TestCa ca = test::make_test_ca("Reading Test CA");
  TlsCredentialsPtr leaf = test::make_test_leaf(ca, {"example.test"}, 3);
  SslCtxPtr sctx(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_set_options(sctx.get(), SSL_OP_NO_TICKET);
  SSL_CTX_use_certificate(sctx.get(), leaf->leaf.get());
  SSL_CTX_use_PrivateKey(sctx.get(), leaf->key.get());
  SslCtxPtr cctx(SSL_CTX_new_ex(client_library, nullptr, TLS_client_method()));
  SSL_CTX_set_max_proto_version(cctx.get(), TLS1_2_VERSION);
  X509StorePtr store = test::make_trust_store(ca);
  X509_STORE_up_ref(store.get());
  SSL_CTX_set_cert_store(cctx.get(), store.get());
  SSL_CTX_set_verify(cctx.get(), SSL_VERIFY_PEER, nullptr);
  test::MemoryHandshake h = test::run_memory_handshake(cctx.get(), sctx.get(), "example.test");
  Transcript t{std::move(h.client_to_server), std::move(h.server_to_client), {}, h.done};
  if (X509Ptr peer{SSL_get1_peer_certificate(h.client.get())}) t.leaf_der = x509_to_der(peer.get());
  return t;
}

}  // namespace

BOOST_AUTO_TEST_CASE(certificates_read_in_it_have_the_same_keys) {
  OSSL_LIB_CTX* ctx = reading();
  for (const char* name : {"sample-bank.pem", "sample-ecdsa.pem", "sample-ed25519.pem",
                           "qaznet-trust-network-root.pem"}) {
    X509Ptr usual = fixture(name);
    BOOST_TEST_REQUIRE(usual != nullptr, name);
    const Bytes der = x509_to_der(usual.get());
    X509Ptr here = parse_in(ctx, der);
    BOOST_TEST_REQUIRE(here != nullptr, name);
    EVP_PKEY* key = X509_get0_pubkey(here.get());
    BOOST_TEST_REQUIRE(key != nullptr, name);
    BOOST_TEST(EVP_PKEY_eq(key, X509_get0_pubkey(usual.get())) == 1, name);
    // The certificate's signature checks out with its issuer's key (self-signed root).
    if (std::string_view(name) == "qaznet-trust-network-root.pem") BOOST_TEST(X509_verify(here.get(), key) == 1);
  }
}

BOOST_AUTO_TEST_CASE(it_offers_no_decoders_but_public_keys) {
  OSSL_LIB_CTX* ctx = reading();
  auto count = [](OSSL_LIB_CTX* lib, const char* structure, int selection) {
    EVP_PKEY* out = nullptr;
    OSSL_DECODER_CTX* d = OSSL_DECODER_CTX_new_for_pkey(&out, "DER", structure, "EC", selection, lib, nullptr);
    const int n = d ? OSSL_DECODER_CTX_get_num_decoders(d) : 0;
    OSSL_DECODER_CTX_free(d);
    return n;
  };
  BOOST_TEST(count(ctx, "SubjectPublicKeyInfo", EVP_PKEY_PUBLIC_KEY) > 0);
  BOOST_TEST(count(nullptr, "PrivateKeyInfo", EVP_PKEY_KEYPAIR) > 0);  // the default context has them
  BOOST_TEST(count(ctx, "PrivateKeyInfo", EVP_PKEY_KEYPAIR) == 0);
  BOOST_TEST(count(ctx, "type-specific", EVP_PKEY_KEYPAIR) == 0);
  // The same context every time.
  BOOST_TEST(reading() == ctx);
}

BOOST_AUTO_TEST_CASE(a_client_in_it_speaks_byte_for_byte_as_in_the_default_context) {
  const Transcript usual = seeded_handshake(nullptr);
  const Transcript here = seeded_handshake(reading());
  BOOST_TEST_REQUIRE(usual.done);
  BOOST_TEST_REQUIRE(here.done);  // the chain was read and verified in it
  BOOST_TEST(here.client_to_server == usual.client_to_server);
  BOOST_TEST(here.server_to_client == usual.server_to_client);
  BOOST_TEST(here.leaf_der == usual.leaf_der);
  BOOST_TEST(!here.leaf_der.empty());
}

BOOST_AUTO_TEST_CASE(tls_loses_no_suite_in_it) {
  auto suites = [](OSSL_LIB_CTX* lib, const SSL_METHOD* method) {
    std::vector<std::string> names;
    SslCtxPtr ctx(SSL_CTX_new_ex(lib, nullptr, method));
    BOOST_TEST_REQUIRE(ctx);
    BOOST_TEST_REQUIRE(SSL_CTX_set_cipher_list(ctx.get(), "ALL:COMPLEMENTOFALL:@SECLEVEL=0") == 1);
    STACK_OF(SSL_CIPHER)* list = SSL_CTX_get_ciphers(ctx.get());
    for (int i = 0; i < sk_SSL_CIPHER_num(list); ++i)
      names.emplace_back(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(list, i)));
    return names;
  };
  for (const SSL_METHOD* method : {TLS_client_method(), TLS_server_method()}) {
    const auto usual = suites(nullptr, method);
    BOOST_TEST(usual.size() > 100u);  // CBC, GCM, CCM, ChaCha20, Camellia, ARIA, SEED, ...
    BOOST_TEST(suites(reading(), method) == usual, boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(it_offers_the_ciphers_tls_uses_and_no_others) {
  auto fetchable = [](const char* name) {
    EVP_CIPHER* c = EVP_CIPHER_fetch(reading(), name, nullptr);
    EVP_CIPHER_free(c);
    return c != nullptr;
  };
  for (const char* name : {"AES-128-GCM", "AES-256-CBC", "ChaCha20-Poly1305", "AES-256-CTR",
                           "AES-128-CBC-HMAC-SHA256", "CAMELLIA-256-CBC"})
    BOOST_TEST(fetchable(name), name);
  for (const char* name : {"AES-128-XTS", "AES-256-OCB", "AES-128-ECB", "ChaCha20"})
    BOOST_TEST(!fetchable(name), name);
}
