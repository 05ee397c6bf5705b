#include "net/certificate-reading-context.h"

#include <string>
#include <string_view>
#include <vector>

#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/provider.h>

#include "net/openssl.h"

namespace mitmlab {
namespace {

using LibCtxPtr = OpenSslPtr<OSSL_LIB_CTX, OSSL_LIB_CTX_free>;
using ProviderPtr = OpenSslPtr<OSSL_PROVIDER, OSSL_PROVIDER_unload>;

// The provider's state: the default provider, loaded in a library context of its own, and
// the decoders passed on. Reached from OpenSSL's plain-function callbacks, hence static.
struct Forwarded {
  LibCtxPtr inner;
  ProviderPtr provider;  // loaded in `inner`, unloaded before it goes (members go in reverse)
  std::vector<OSSL_ALGORITHM> decoders;  // ends with an all-null entry, as OpenSSL expects
  std::vector<OSSL_ALGORITHM> ciphers;   // the ones TLS uses; likewise null-terminated
};
Forwarded& forwarded() {
  static Forwarded f;
  return f;
}

// "provider=default,fips=yes,input=der,structure=SubjectPublicKeyInfo" has both properties.
bool reads_der_public_keys(const char* properties) {
  if (properties == nullptr) return false;
  bool der = false, spki = false;
  std::string_view rest(properties);
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    der = der || item == "input=der";
    spki = spki || item == "structure=SubjectPublicKeyInfo";
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return der && spki;
}

// The ciphers libssl fetches (by these NIDs' names, ssl/ssl_ciph.c), and AES-CTR for the
// random generator. Each cipher the context offers is one more entry OpenSSL walks, with
// every other method, each time it decodes a public key; the default provider has 124.
bool used_by_tls(const char* names) {
  static constexpr int kNids[] = {
      NID_des_cbc, NID_des_ede3_cbc, NID_rc4, NID_rc2_cbc, NID_idea_cbc, NID_aes_128_cbc,
      NID_aes_256_cbc, NID_camellia_128_cbc, NID_camellia_256_cbc, NID_gost89_cnt, NID_seed_cbc,
      NID_aes_128_gcm, NID_aes_256_gcm, NID_aes_128_ccm, NID_aes_256_ccm, NID_gost89_cnt_12,
      NID_chacha20_poly1305, NID_aria_128_gcm, NID_aria_256_gcm, NID_magma_ctr_acpkm,
      NID_kuznyechik_ctr_acpkm, NID_aes_128_cbc_hmac_sha1, NID_aes_256_cbc_hmac_sha1,
      NID_aes_128_cbc_hmac_sha256, NID_aes_256_cbc_hmac_sha256, NID_aes_128_ctr,
      NID_aes_192_ctr, NID_aes_256_ctr};
  std::string_view rest(names);
  while (!rest.empty()) {
    const std::size_t colon = rest.find(':');
    const int nid = OBJ_txt2nid(std::string(rest.substr(0, colon)).c_str());
    for (int wanted : kNids)
      if (nid == wanted) return true;
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
  }
  return false;
}

const OSSL_ALGORITHM* query_operation(void*, int operation, int* no_cache) {
  Forwarded& f = forwarded();
  if (operation == OSSL_OP_DECODER) {
    *no_cache = 0;
    return f.decoders.data();
  }
  if (operation == OSSL_OP_CIPHER) {
    *no_cache = 0;
    return f.ciphers.data();
  }
  return OSSL_PROVIDER_query_operation(f.provider.get(), operation, no_cache);
}

int get_capabilities(void*, const char* capability, OSSL_CALLBACK* callback, void* arg) {
  return OSSL_PROVIDER_get_capabilities(forwarded().provider.get(), capability, callback, arg);
}

const OSSL_DISPATCH kDispatch[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, reinterpret_cast<void (*)()>(&query_operation)},
    {OSSL_FUNC_PROVIDER_GET_CAPABILITIES, reinterpret_cast<void (*)()>(&get_capabilities)},
    {0, nullptr}};

int provider_init(const OSSL_CORE_HANDLE*, const OSSL_DISPATCH*, const OSSL_DISPATCH** out, void** provctx) {
  // The algorithms are the default provider's and expect its context.
  *provctx = OSSL_PROVIDER_get0_provider_ctx(forwarded().provider.get());
  *out = kDispatch;
  return 1;
}

constexpr const char* kProviderName = "mitmlab-certificate-reading";

// The outer context and its one provider, unloaded before the context is freed.
struct ReadingContext {
  LibCtxPtr ctx;
  ProviderPtr provider;
};

Result<ReadingContext> make_context() {
  // OpenSSL's exit-time cleanup must be registered before the statics below are made, so
  // that they are destroyed first.
  if (OPENSSL_init_crypto(0, nullptr) != 1) return openssl_error("certificate reading context: OpenSSL init");
  Forwarded& f = forwarded();
  f.inner.reset(OSSL_LIB_CTX_new());
  if (!f.inner) return openssl_error("certificate reading context: OSSL_LIB_CTX_new");
  f.provider.reset(OSSL_PROVIDER_load(f.inner.get(), "default"));
  if (!f.provider) return openssl_error("certificate reading context: the default provider did not load");
  int no_cache = 0;
  const OSSL_ALGORITHM* all = OSSL_PROVIDER_query_operation(f.provider.get(), OSSL_OP_DECODER, &no_cache);
  for (const OSSL_ALGORITHM* a = all; a && a->algorithm_names; ++a)
    if (reads_der_public_keys(a->property_definition)) f.decoders.push_back(*a);
  if (f.decoders.empty())
    return make_error("certificate reading context: the default provider has no DER SubjectPublicKeyInfo decoders");
  f.decoders.push_back({nullptr, nullptr, nullptr, nullptr});
  const OSSL_ALGORITHM* ciphers =
      OSSL_PROVIDER_query_operation(f.provider.get(), OSSL_OP_CIPHER, &no_cache);
  for (const OSSL_ALGORITHM* a = ciphers; a && a->algorithm_names; ++a)
    if (used_by_tls(a->algorithm_names)) f.ciphers.push_back(*a);
  if (f.ciphers.empty())
    return make_error("certificate reading context: the default provider has no TLS ciphers");
  f.ciphers.push_back({nullptr, nullptr, nullptr, nullptr});

  ReadingContext made;
  made.ctx.reset(OSSL_LIB_CTX_new());
  if (!made.ctx) return openssl_error("certificate reading context: OSSL_LIB_CTX_new");
  if (OSSL_PROVIDER_add_builtin(made.ctx.get(), kProviderName, &provider_init) == 1)
    made.provider.reset(OSSL_PROVIDER_load(made.ctx.get(), kProviderName));
  if (!made.provider) return openssl_error("certificate reading context: its provider did not load");
  return made;
}

}  // namespace

Result<OSSL_LIB_CTX*> certificate_reading_context() {
  // Made once; destroyed at exit before OpenSSL's own cleanup (registered earlier).
  static Result<ReadingContext> made = make_context();
  if (!made) return made.error();
  return made->ctx.get();
}

}  // namespace mitmlab
