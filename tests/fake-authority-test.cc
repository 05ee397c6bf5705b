// The look-alike authority against the real Qaznet certificates (facts §4), and profiles.
#define BOOST_TEST_MODULE fake_authority
#include <boost/test/unit_test.hpp>

#include <openssl/sha.h>
#include <openssl/x509_vfy.h>

#include <filesystem>

#include <unistd.h>

#include "interceptor/forge/fake-authority.h"
#include "interceptor/forge/key-cache.h"
#include "support/forge-test-helpers.h"

using namespace mitmlab;
using namespace mitmlab::test;

namespace {

const X509& real_root() {
  static X509Ptr cert = load_pem_fixture("qaznet-trust-network-root.pem");
  return *cert;
}
const X509& real_intermediate() {
  static X509Ptr cert = load_pem_fixture("qaznet-security-certificate-intermediate.pem");
  return *cert;
}

void check_same_names_and_validity(const X509& ours, const X509& real) {
  BOOST_TEST(name_der(X509_get_subject_name(&ours)) == name_der(X509_get_subject_name(&real)));
  BOOST_TEST(name_der(X509_get_issuer_name(&ours)) == name_der(X509_get_issuer_name(&real)));
  BOOST_TEST(ASN1_TIME_compare(X509_get0_notBefore(&ours), X509_get0_notBefore(&real)) == 0);
  BOOST_TEST(ASN1_TIME_compare(X509_get0_notAfter(&ours), X509_get0_notAfter(&real)) == 0);
  BOOST_TEST(ASN1_STRING_type(X509_get0_notBefore(&ours)) == ASN1_STRING_type(X509_get0_notBefore(&real)));
  BOOST_TEST(ASN1_STRING_type(X509_get0_notAfter(&ours)) == ASN1_STRING_type(X509_get0_notAfter(&real)));
  BOOST_TEST((extension_layout(ours) == extension_layout(real)));
  BOOST_TEST(X509_get_version(&ours) == X509_get_version(&real));
  BOOST_TEST(X509_get_signature_nid(&ours) == X509_get_signature_nid(&real));
  // Key-independent extension values are byte-identical too.
  for (int nid : {NID_basic_constraints, NID_key_usage}) {
    BOOST_TEST_CONTEXT(OBJ_nid2sn(nid)) {
      BOOST_TEST(extension_value(ours, nid) == extension_value(real, nid));
    }
  }
}

int verify_chain(const X509& root, const X509& intermediate, X509& leaf, time_t at) {
  X509StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), const_cast<X509*>(&root));
  X509StackPtr untrusted(sk_X509_new_null());
  X509_up_ref(const_cast<X509*>(&intermediate));
  sk_X509_push(untrusted.get(), const_cast<X509*>(&intermediate));
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  BOOST_TEST_REQUIRE(X509_STORE_CTX_init(ctx.get(), store.get(), &leaf, untrusted.get()) == 1);
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), at);
  return X509_verify_cert(ctx.get()) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx.get());
}

}  // namespace

BOOST_AUTO_TEST_CASE(root_looks_like_the_real_root) {
  const X509& root = qaznet_authority()->root();
  check_same_names_and_validity(root, real_root());
  BOOST_TEST(ASN1_INTEGER_cmp(X509_get0_serialNumber(&root), X509_get0_serialNumber(&real_root())) == 0);
  EVP_PKEY* key = X509_get0_pubkey(&root);
  BOOST_TEST(EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA);
  BOOST_TEST(EVP_PKEY_get_bits(key) == 4096);
  BOOST_TEST(BN_is_word(rsa_exponent(root).get(), 65537));
  // AKI keyid = SKI, and no issuer/serial in the root's AKI.
  const ASN1_OCTET_STRING* keyid = X509_get0_authority_key_id(const_cast<X509*>(&root));
  BOOST_TEST_REQUIRE(keyid != nullptr);
  BOOST_TEST(Bytes(ASN1_STRING_get0_data(keyid), ASN1_STRING_get0_data(keyid) + ASN1_STRING_length(keyid)) ==
             ski_bytes(root));
  BOOST_TEST(X509_get0_authority_issuer(const_cast<X509*>(&root)) == nullptr);
  BOOST_TEST(X509_get_key_usage(const_cast<X509*>(&root)) ==
             static_cast<std::uint32_t>(KU_NON_REPUDIATION | KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  // Self-signed with our own key, and the key is not the real one.
  BOOST_TEST(X509_verify(const_cast<X509*>(&root), key) == 1);
  BOOST_TEST(EVP_PKEY_eq(key, X509_get0_pubkey(&real_root())) != 1);
  BOOST_TEST(X509_check_private_key(&root, &qaznet_authority()->root_key()) == 1);
}

BOOST_AUTO_TEST_CASE(intermediate_looks_like_the_real_intermediate) {
  const X509& inter = qaznet_authority()->intermediate();
  const X509& root = qaznet_authority()->root();
  check_same_names_and_validity(inter, real_intermediate());
  EVP_PKEY* key = X509_get0_pubkey(&inter);
  BOOST_TEST(EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA);
  BOOST_TEST(EVP_PKEY_get_bits(key) == 2048);
  BOOST_TEST(BN_is_word(rsa_exponent(inter).get(), 65537));
  BOOST_TEST(EVP_PKEY_eq(key, X509_get0_pubkey(&real_intermediate())) != 1);
  // Serial = its own SKI, a 20-byte positive INTEGER like the real one.
  Bytes ski = ski_bytes(inter);
  BOOST_TEST_REQUIRE(ski.size() == 20u);
  BOOST_TEST(BN_cmp(serial_bn(inter).get(), bn_from_bytes(ski).get()) == 0);
  BOOST_TEST(ASN1_STRING_length(X509_get0_serialNumber(&inter)) == 20);
  BOOST_TEST(ski == qaznet_authority()->intermediate_key_id());
  // AKI: root keyid, root name, root serial.
  X509* mut = const_cast<X509*>(&inter);
  const ASN1_OCTET_STRING* keyid = X509_get0_authority_key_id(mut);
  BOOST_TEST_REQUIRE(keyid != nullptr);
  BOOST_TEST(Bytes(ASN1_STRING_get0_data(keyid), ASN1_STRING_get0_data(keyid) + ASN1_STRING_length(keyid)) ==
             ski_bytes(root));
  const GENERAL_NAMES* issuer = X509_get0_authority_issuer(mut);
  BOOST_TEST_REQUIRE(issuer != nullptr);
  int type = 0;
  auto* dir = static_cast<X509_NAME*>(GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(issuer, 0), &type));
  BOOST_TEST(type == GEN_DIRNAME);
  BOOST_TEST(name_der(dir) == name_der(X509_get_subject_name(&real_root())));
  BOOST_TEST(ASN1_INTEGER_cmp(X509_get0_authority_serial(mut), X509_get0_serialNumber(&real_root())) == 0);
  // Signed by our root, not by the real one.
  BOOST_TEST(X509_verify(mut, X509_get0_pubkey(&root)) == 1);
  BOOST_TEST(X509_verify(mut, X509_get0_pubkey(&real_root())) != 1);
  BOOST_TEST(X509_check_private_key(&inter, &qaznet_authority()->intermediate_key()) == 1);
}

BOOST_AUTO_TEST_CASE(intermediate_verifies_under_the_fake_root_only) {
  const auto& ca = *qaznet_authority();
  X509* inter = const_cast<X509*>(&ca.intermediate());
  const time_t july_2019 = 1563580800;
  BOOST_TEST(verify_chain(ca.root(), ca.intermediate(), *inter, july_2019) == X509_V_OK);
  BOOST_TEST(verify_chain(real_root(), ca.intermediate(), *inter, july_2019) != X509_V_OK);
  // Outside the intermediate's window (2021-06-01) the chain is expired, as the real one.
  BOOST_TEST(verify_chain(ca.root(), ca.intermediate(), *inter, 1622505600) == X509_V_ERR_CERT_HAS_EXPIRED);
}

BOOST_AUTO_TEST_CASE(same_seed_same_bytes_different_seed_different_bytes) {
  auto profile = find_profile("qaznet-2019");
  BOOST_TEST_REQUIRE(profile.ok());
  // Minted again, this time through a key cache (the KeySource hook): same bytes.
  const auto dir = std::filesystem::temp_directory_path() /
                   ("mitmlab-fake-authority-test-" + std::to_string(::getpid()));
  KeyCache cache(dir);
  auto again = FakeAuthority::create(
      *profile, 7, [&cache](ByteView s, const RsaKeySpec& k) { return cache.get(s, k); });
  BOOST_TEST_REQUIRE(again.ok());
  BOOST_TEST(cache.counters().misses >= 2u);
  BOOST_TEST(x509_to_der(&again->root()) == x509_to_der(&qaznet_authority()->root()));
  BOOST_TEST(x509_to_der(&again->intermediate()) == x509_to_der(&qaznet_authority()->intermediate()));
  auto other = FakeAuthority::create(fast_profile("qaznet-2019"), 8);
  BOOST_TEST_REQUIRE(other.ok());
  BOOST_TEST(x509_to_der(&other->intermediate()) != x509_to_der(&qaznet_authority()->intermediate()));
  BOOST_TEST(ski_bytes(other->root()) != ski_bytes(qaznet_authority()->root()));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(key_seeds_separate_seed_label_profile_and_attempt) {
  const Bytes base = ca_key_seed(7, "root", "qaznet-2019", 0);
  BOOST_TEST(base != ca_key_seed(8, "root", "qaznet-2019", 0));
  BOOST_TEST(base != ca_key_seed(7, "intermediate", "qaznet-2019", 0));
  BOOST_TEST(base != ca_key_seed(7, "root", "isca-2020", 0));
  BOOST_TEST(base != ca_key_seed(7, "root", "qaznet-2019", 1));
  BOOST_TEST(ca_key_seed(7, "ab", "c", 0) != ca_key_seed(7, "a", "bc", 0));
}

BOOST_AUTO_TEST_CASE(isca_2020_profile_produces_its_own_names) {
  auto profile = find_profile("isca-2020");
  BOOST_TEST_REQUIRE(profile.ok());
  BOOST_TEST(profile->root.key_bits == 4096u);
  auto ca = FakeAuthority::create(*profile, 7);
  BOOST_TEST_REQUIRE(ca.ok(), (ca.ok() ? std::string() : ca.message()));
  const X509& root = ca->root();
  X509_NAME* subject = X509_get_subject_name(&root);
  auto text = [subject](int nid) {
    char buf[128] = {};
    X509_NAME_get_text_by_NID(subject, nid, buf, sizeof buf);
    return std::string(buf);
  };
  BOOST_TEST(text(NID_commonName) == "Information Security Certification Authority CA");
  BOOST_TEST(text(NID_organizationName) == "ISCA");
  BOOST_TEST(text(NID_countryName) == "KZ");
  BOOST_TEST(EVP_PKEY_get_bits(X509_get0_pubkey(&root)) == 4096);
  Asn1TimePtr start(ASN1_TIME_new()), end(ASN1_TIME_new());
  ASN1_TIME_set_string_X509(start.get(), "20200228000000Z");
  ASN1_TIME_set_string_X509(end.get(), "20400228000000Z");
  BOOST_TEST(ASN1_TIME_compare(X509_get0_notBefore(&root), start.get()) == 0);
  BOOST_TEST(ASN1_TIME_compare(X509_get0_notAfter(&root), end.get()) == 0);
  BOOST_TEST(name_der(X509_get_subject_name(&ca->intermediate())) !=
             name_der(X509_get_subject_name(&qaznet_authority()->intermediate())));
  BOOST_TEST(name_der(X509_get_issuer_name(&ca->intermediate())) == name_der(subject));
  const time_t dec_2020 = 1607212800;  // 2020-12-06
  X509* inter = const_cast<X509*>(&ca->intermediate());
  BOOST_TEST(verify_chain(root, ca->intermediate(), *inter, dec_2020) == X509_V_OK);
}

BOOST_AUTO_TEST_CASE(profiles_are_found_by_name_and_unknown_names_listed) {
  for (const char* name : {"qaznet-2019", "qaznet-2019-early", "qaznet-2019-24h", "isca-2020"}) {
    auto p = find_profile(name);
    BOOST_TEST_REQUIRE(p.ok(), name);
    BOOST_TEST(p->name == name);
  }
  BOOST_TEST(find_profile(default_profile_name()).ok());
  auto missing = find_profile("qaznet-2099");
  BOOST_TEST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.message().find("qaznet-2099") != std::string::npos);
  BOOST_TEST(missing.message().find("qaznet-2019, qaznet-2019-early") != std::string::npos);
  BOOST_TEST(missing.message().find("isca-2020") != std::string::npos);
  auto q = find_profile("qaznet-2019");
  BOOST_TEST(q->leaf.key_bits == 2048u);
  BOOST_TEST(q->leaf.public_exponent == 3ul);
  BOOST_TEST(q->leaf.validity_shift_seconds == 6 * 3600);
  BOOST_TEST((q->leaf.serial_rule == SerialRule::kAddBelow2To32));
}

BOOST_AUTO_TEST_CASE(private_keys_export_as_pem) {
  const std::string pem = private_key_to_pem(qaznet_authority()->intermediate_key());
  BOOST_TEST(pem.find("-----BEGIN PRIVATE KEY-----") == 0u);
}

BOOST_AUTO_TEST_CASE(intermediate_serial_is_a_20_byte_positive_ski_for_every_seed) {
  // About half of all keys have an SKI with the top bit set (or a leading zero byte); the
  // authority must re-derive until serial = SKI fits 20 bytes, whatever the seed.
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      auto ca = FakeAuthority::create(fast_profile("test-ski"), seed);
      BOOST_TEST_REQUIRE(ca.ok());
      const X509& inter = ca->intermediate();
      BOOST_TEST(ASN1_STRING_length(X509_get0_serialNumber(&inter)) == 20);
      BOOST_TEST(BN_cmp(serial_bn(inter).get(), bn_from_bytes(ski_bytes(inter)).get()) == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(golden_digests_pin_the_construction) {
  // SHA-256 of the DER for qaznet-2019, seed 7. A change here changes every certificate
  // mitmlab has ever written for that seed: do it on purpose, and update the pins.
  auto hex_sha256 = [](const X509& cert) {
    Bytes der = x509_to_der(&cert);
    unsigned char md[32];
    SHA256(der.data(), der.size(), md);
    return to_hex(ByteView(md, sizeof md));
  };
  BOOST_TEST(hex_sha256(qaznet_authority()->root()) ==
             "14fc2cf9498d79e9088f8c07fffafc3a8edf55d97751a844ecd7b5705a38a6c2");
  BOOST_TEST(hex_sha256(qaznet_authority()->intermediate()) ==
             "fd2812a82a1c51e8fdb2612e86239502957291c888ccdb6057b5add11eb594f1");
}
