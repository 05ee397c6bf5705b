#include "sim/lab-pki.h"

#include <stdexcept>

#include "net/openssl.h"

namespace mitmlab {

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(openssl_error(what).message); }

EvpPkeyPtr make_key() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) fail("EVP_EC_gen");
  return key;
}

X509Ptr make_cert(const std::string& cn, EVP_PKEY* subject_key, long serial) {
  X509Ptr cert(X509_new());
  if (!cert) fail("X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  ASN1_TIME_set_string(X509_getm_notBefore(cert.get()), "20190101000000Z");
  ASN1_TIME_set_string(X509_getm_notAfter(cert.get()), "20490101000000Z");
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_pubkey(cert.get(), subject_key);
  return cert;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) fail("extension " + value);
}

}  // namespace

TestCa make_test_ca(const std::string& common_name) {
  TestCa ca;
  ca.key = make_key();
  ca.cert = make_cert(common_name, ca.key.get(), 1);
  X509_set_issuer_name(ca.cert.get(), X509_get_subject_name(ca.cert.get()));
  add_ext(ca.cert.get(), ca.cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_ext(ca.cert.get(), ca.cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(ca.cert.get(), ca.cert.get(), NID_subject_key_identifier, "hash");
  if (X509_sign(ca.cert.get(), ca.key.get(), EVP_sha256()) <= 0) fail("X509_sign CA");
  return ca;
}

TlsCredentialsPtr make_test_leaf(const TestCa& ca, const std::vector<std::string>& names,
                                 long serial) {
  auto creds = std::make_shared<TlsCredentials>();
  creds->key = make_key();
  creds->leaf = make_cert(names.at(0), creds->key.get(), serial);
  X509_set_issuer_name(creds->leaf.get(), X509_get_subject_name(ca.cert.get()));
  std::string san;
  for (const auto& n : names) san += (san.empty() ? "DNS:" : ",DNS:") + n;
  add_ext(creds->leaf.get(), ca.cert.get(), NID_subject_alt_name, san);
  add_ext(creds->leaf.get(), ca.cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(creds->leaf.get(), ca.cert.get(), NID_ext_key_usage, "serverAuth");
  add_ext(creds->leaf.get(), ca.cert.get(), NID_authority_key_identifier, "keyid:always");
  if (X509_sign(creds->leaf.get(), ca.key.get(), EVP_sha256()) <= 0) fail("X509_sign leaf");
  return creds;
}

X509StorePtr make_trust_store(const TestCa& ca) {
  X509StorePtr store(X509_STORE_new());
  if (!store || X509_STORE_add_cert(store.get(), ca.cert.get()) != 1) fail("X509_STORE_add_cert");
  return store;
}

}  // namespace mitmlab
