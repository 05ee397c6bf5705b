#include "tests/support/throwaway-pki.h"

#include <stdexcept>

#include <openssl/ec.h>
#include <openssl/rsa.h>

namespace mitmlab::test {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(openssl_error("throwaway-pki: " + what).message);
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) fail("extension " + value);
}

// `issuer` null: self-signed with `key`.
ThrowawayCert build(const ThrowawayCertSpec& spec, const ThrowawayCert* issuer) {
  ThrowawayCert out{X509Ptr(X509_new()), make_throwaway_key(spec.key_type)};
  X509* x = out.cert.get();
  if (!x) fail("X509_new");
  X509_set_version(x, 2);  // v3
  ASN1_INTEGER_set(X509_get_serialNumber(x), spec.serial);
  X509NamePtr name(X509_NAME_new());
  if (!name || X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                          reinterpret_cast<const unsigned char*>(
                                              spec.common_name.c_str()),
                                          -1, -1, 0) != 1)
    fail("subject");
  X509_set_subject_name(x, name.get());
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert.get()) : name.get());
  if (!ASN1_TIME_set(X509_getm_notBefore(x), spec.not_before) ||
      !ASN1_TIME_set(X509_getm_notAfter(x), spec.not_after))
    fail("validity");
  X509_set_pubkey(x, out.key.get());

  X509* signer_cert = issuer ? issuer->cert.get() : x;
  add_extension(x, signer_cert, NID_subject_key_identifier, "hash");
  add_extension(x, signer_cert, NID_authority_key_identifier, "keyid:always");
  if (spec.is_ca) {
    add_extension(x, signer_cert, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(x, signer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(x, signer_cert, NID_basic_constraints, "CA:FALSE");
    add_extension(x, signer_cert, NID_key_usage, "digitalSignature,keyEncipherment");
    add_extension(x, signer_cert, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  if (!spec.dns_names.empty()) {
    std::string san;
    for (const std::string& n : spec.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + n;
    add_extension(x, signer_cert, NID_subject_alt_name, san);
  }
  EVP_PKEY* signer_key = issuer ? issuer->key.get() : out.key.get();
  if (X509_sign(x, signer_key, EVP_sha256()) <= 0) fail("sign");
  return out;
}

}  // namespace

std::time_t utc_time(int year, int month, int day, int hour, int minute, int second) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return timegm(&tm);
}

EvpPkeyPtr make_throwaway_key(ThrowawayKeyType type) {
  if (type == ThrowawayKeyType::ec_p256) {
    EvpPkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) fail("EC key");
    return key;
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr));
  BignumPtr e(BN_new());
  if (!ctx || !e || BN_set_word(e.get(), 3) != 1 || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048) != 1 ||
      EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), e.get()) != 1)
    fail("RSA key setup");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_keygen(ctx.get(), &raw) != 1) fail("RSA keygen");
  return EvpPkeyPtr(raw);
}

ThrowawayCert make_self_signed(const ThrowawayCertSpec& spec) { return build(spec, nullptr); }

ThrowawayCert issue_throwaway_cert(const ThrowawayCert& issuer, const ThrowawayCertSpec& spec) {
  return build(spec, &issuer);
}

ThrowawayChain make_throwaway_chain(const std::string& host, const std::string& prefix,
                                    ThrowawayKeyType leaf_key) {
  ThrowawayChain c;
  ThrowawayCertSpec spec;
  spec.common_name = prefix + " Root";
  spec.is_ca = true;
  spec.serial = 1;
  c.root = make_self_signed(spec);
  spec.common_name = prefix + " Intermediate";
  spec.serial = 2;
  c.intermediate = issue_throwaway_cert(c.root, spec);
  spec.common_name = host;
  spec.dns_names = {host};
  spec.is_ca = false;
  spec.serial = 3;
  spec.key_type = leaf_key;
  c.leaf = issue_throwaway_cert(c.intermediate, spec);
  return c;
}

std::vector<Bytes> der_list(std::initializer_list<const X509*> certs) {
  std::vector<Bytes> out;
  for (const X509* c : certs) out.push_back(x509_to_der(c));
  return out;
}

}  // namespace mitmlab::test
