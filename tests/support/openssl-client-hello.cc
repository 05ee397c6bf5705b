#include "tests/support/openssl-client-hello.h"

#include <stdexcept>

#include <openssl/ssl.h>

#include "net/openssl.h"
#include "net/reader.h"
#include "net/tls-record.h"
#include "net/writer.h"

namespace mitmlab::test {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(openssl_error("openssl_client_hello: " + what).message);
}

// OpenSSL asks for the extension body once per ClientHello; it points into `arg`.
int add_extra_extension(SSL*, unsigned int, unsigned int, const unsigned char** out,
                        std::size_t* outlen, X509*, std::size_t, int*, void* arg) {
  const Bytes& body = *static_cast<const Bytes*>(arg);
  *out = body.data();
  *outlen = body.size();
  return 1;
}

}  // namespace

Bytes openssl_client_hello(const ClientHelloOptions& o) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) fail("SSL_CTX_new");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  if (!SSL_CTX_set_max_proto_version(ctx.get(), o.tls13 ? TLS1_3_VERSION : TLS1_2_VERSION))
    fail("max version");
  if (!o.cipher_list.empty() && !SSL_CTX_set_cipher_list(ctx.get(), o.cipher_list.c_str()))
    fail("cipher list " + o.cipher_list);
  if (!o.ciphersuites.empty() && !SSL_CTX_set_ciphersuites(ctx.get(), o.ciphersuites.c_str()))
    fail("ciphersuites " + o.ciphersuites);

  // Filled with a recognisable byte so a test can spot the extension in a dump.
  Bytes extra(o.extra_extension_bytes, 0x5a);
  if (o.extra_extension_bytes > 0 &&
      SSL_CTX_add_custom_ext(ctx.get(), o.extra_extension_type, SSL_EXT_CLIENT_HELLO,
                             add_extra_extension, nullptr, &extra, nullptr, nullptr) != 1)
    fail("custom extension");

  SslPtr ssl(SSL_new(ctx.get()));
  if (!ssl) fail("SSL_new");
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  if (!rbio || !wbio) {
    BIO_free(rbio);
    BIO_free(wbio);
    fail("BIO_new");
  }
  SSL_set_bio(ssl.get(), rbio, wbio);  // ssl owns both from here
  if (o.sni && !SSL_set_tlsext_host_name(ssl.get(), o.sni->c_str())) fail("SNI " + *o.sni);
  if (!o.alpn.empty()) {
    Writer w;
    for (const std::string& p : o.alpn) w.with_length(1, [&] { w.bytes(as_bytes(p)); });
    // SSL_set_alpn_protos returns 0 on success, unlike most of OpenSSL.
    if (SSL_set_alpn_protos(ssl.get(), w.data().data(), static_cast<unsigned>(w.size())) != 0)
      fail("ALPN");
  }
  if (o.max_fragment > 0 && !SSL_set_max_send_fragment(ssl.get(), o.max_fragment))
    fail("max_send_fragment");
  SSL_set_connect_state(ssl.get());

  int rc = SSL_connect(ssl.get());
  if (rc == 1 || SSL_get_error(ssl.get(), rc) != SSL_ERROR_WANT_READ) fail("SSL_connect");
  Bytes out;
  unsigned char buf[4096];
  int n;
  while ((n = BIO_read(wbio, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
  if (out.empty()) fail("no ClientHello written");
  return out;
}

Bytes handshake_payload(ByteView records) {
  Bytes out;
  while (!records.empty()) {
    auto record = next_record(records, RecordProtection::plaintext);
    if (!record || !*record) throw std::runtime_error("handshake_payload: not whole records");
    ByteView fragment = (*record)->fragment;
    out.insert(out.end(), fragment.begin(), fragment.end());
    records = records.subspan((*record)->header.record_size());
  }
  return out;
}

Bytes refragment(ByteView records, std::size_t max_fragment) {
  return write_records(ContentType::handshake, 0x0301, handshake_payload(records), max_fragment);
}

}  // namespace mitmlab::test
