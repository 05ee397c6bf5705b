// Every forging rule of facts §3, checked field by field with OpenSSL's parsers.
#define BOOST_TEST_MODULE forger
#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509_vfy.h>

#include "interceptor/forge/forger.h"
#include "support/forge-test-helpers.h"

using namespace mitmlab;
using namespace mitmlab::test;

namespace {

const char* const kOriginals[] = {
    "sample-bank.pem",         "sample-ecdsa.pem",         "sample-ed25519.pem",
    "sample-no-san.pem",       "sample-serial-1byte.pem",  "sample-serial-carry.pem",
    "sample-serial-20byte.pem",
};

ForgedChain forge_ok(const FakeAuthority& ca, const X509& original) {
  auto chain = forge_chain(ca, original, {});
  BOOST_TEST_REQUIRE(chain.ok(), (chain.ok() ? std::string() : chain.message()));
  return std::move(chain).value();
}

// Forgeries of the fixtures, made once per executable through one Forger (leaf keys cost
// ~100 ms each); the cache's fidelity has its own tests below.
const ForgedChain& forge_fixture(const std::string& name) {
  static Forger forger(qaznet_authority(), 64);
  static std::vector<std::shared_ptr<const ForgedChain>> keep;
  auto chain = forger.forge(*load_pem_fixture(name));
  BOOST_TEST_REQUIRE(chain.ok(), (chain.ok() ? std::string() : chain.message()));
  keep.push_back(*chain);
  return *keep.back();
}

// 2019-07-20 00:00:00Z: inside the samples', the intermediate's and the root's validity.
constexpr time_t kJuly2019 = 1563580800;

int verify_against(const X509& root, const ForgedChain& chain, const char* host) {
  X509StorePtr store(X509_STORE_new());
  BOOST_TEST_REQUIRE(X509_STORE_add_cert(store.get(), const_cast<X509*>(&root)) == 1);
  X509StackPtr untrusted(sk_X509_new_null());
  BOOST_TEST_REQUIRE(X509_up_ref(chain.intermediate.get()) == 1);
  sk_X509_push(untrusted.get(), chain.intermediate.get());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  BOOST_TEST_REQUIRE(X509_STORE_CTX_init(ctx.get(), store.get(), chain.leaf.get(), untrusted.get()) == 1);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, kJuly2019);
  if (host) X509_VERIFY_PARAM_set1_host(param, host, 0);
  return X509_verify_cert(ctx.get()) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx.get());
}

}  // namespace

BOOST_AUTO_TEST_CASE(subject_is_byte_identical_for_every_key_type) {
  for (const char* name : kOriginals) {
    BOOST_TEST_CONTEXT(name) {
      auto original = load_pem_fixture(name);
      const auto& chain = forge_fixture(name);
      BOOST_TEST(name_der(X509_get_subject_name(original.get())) ==
                 name_der(X509_get_subject_name(chain.leaf.get())));
    }
  }
}

BOOST_AUTO_TEST_CASE(subject_alt_name_value_is_copied_byte_for_byte) {
  auto original = load_pem_fixture("sample-bank.pem");
  const auto& chain = forge_fixture("sample-bank.pem");
  Bytes san = extension_value(*original, NID_subject_alt_name);
  BOOST_TEST_REQUIRE(!san.empty());
  BOOST_TEST(extension_value(*chain.leaf, NID_subject_alt_name) == san);
}

BOOST_AUTO_TEST_CASE(no_san_in_original_means_no_san_in_forgery) {
  const auto& chain = forge_fixture("sample-no-san.pem");
  BOOST_TEST(X509_get_ext_by_NID(chain.leaf.get(), NID_subject_alt_name, -1) == -1);
}

BOOST_AUTO_TEST_CASE(key_is_host_specific_rsa_2048_exponent_3) {
  auto original = load_pem_fixture("sample-bank.pem");
  const auto& chain = forge_fixture("sample-bank.pem");
  EVP_PKEY* key = X509_get0_pubkey(chain.leaf.get());
  BOOST_TEST(EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA);
  BOOST_TEST(EVP_PKEY_get_bits(key) == 2048);
  BOOST_TEST(BN_is_word(rsa_exponent(*chain.leaf).get(), 3));
  // Not the original's key, and a different key for a different host.
  BOOST_TEST(EVP_PKEY_eq(key, X509_get0_pubkey(original.get())) != 1);
  const auto& other = forge_fixture("sample-no-san.pem");
  BOOST_TEST(EVP_PKEY_eq(key, X509_get0_pubkey(other.leaf.get())) != 1);
  // The private key handed back is the forged certificate's.
  BOOST_TEST(X509_check_private_key(chain.leaf.get(), chain.leaf_key.get()) == 1);
}

BOOST_AUTO_TEST_CASE(leaf_key_size_follows_the_profile) {
  auto early = find_profile("qaznet-2019-early");
  BOOST_TEST_REQUIRE(early.ok());
  BOOST_TEST(early->leaf.key_bits == 1024u);
  ForgingProfile p = fast_profile("test-1024");
  p.leaf.key_bits = 1024;
  auto ca = FakeAuthority::create(p, 7);
  BOOST_TEST_REQUIRE(ca.ok());
  auto chain = forge_ok(*ca, *load_pem_fixture("sample-bank.pem"));
  BOOST_TEST(EVP_PKEY_get_bits(X509_get0_pubkey(chain.leaf.get())) == 1024);
  BOOST_TEST(BN_is_word(rsa_exponent(*chain.leaf).get(), 3));
}

BOOST_AUTO_TEST_CASE(validity_is_shifted_exactly_six_hours_earlier) {
  for (const char* name : kOriginals) {
    BOOST_TEST_CONTEXT(name) {
      auto original = load_pem_fixture(name);
      const auto& chain = forge_fixture(name);
      BOOST_TEST(seconds_between(X509_get0_notBefore(original.get()),
                                 X509_get0_notBefore(chain.leaf.get())) == -6 * 3600);
      BOOST_TEST(seconds_between(X509_get0_notAfter(original.get()),
                                 X509_get0_notAfter(chain.leaf.get())) == -6 * 3600);
    }
  }
}

BOOST_AUTO_TEST_CASE(validity_shift_follows_the_profile) {
  auto day = find_profile("qaznet-2019-24h");
  BOOST_TEST_REQUIRE(day.ok());
  BOOST_TEST(day->leaf.validity_shift_seconds == 24 * 3600);
  ForgingProfile p = fast_profile("test-24h");
  p.leaf.validity_shift_seconds = 24 * 3600;
  auto ca = FakeAuthority::create(p, 7);
  BOOST_TEST_REQUIRE(ca.ok());
  auto original = load_pem_fixture("sample-bank.pem");
  auto chain = forge_ok(*ca, *original);
  BOOST_TEST(seconds_between(X509_get0_notBefore(original.get()),
                             X509_get0_notBefore(chain.leaf.get())) == -24 * 3600);
  BOOST_TEST(seconds_between(X509_get0_notAfter(original.get()),
                             X509_get0_notAfter(chain.leaf.get())) == -24 * 3600);
}

BOOST_AUTO_TEST_CASE(shift_across_2050_switches_to_utctime) {
  // An original ending 2050-01-01 00:00:00Z (GeneralizedTime, per RFC 5280) ends at
  // 2049-12-31 18:00:00Z once forged, which RFC 5280 wants as UTCTime.
  X509Ptr original(X509_dup(load_pem_fixture("sample-bank.pem").get()));
  Asn1TimePtr late(ASN1_TIME_new());
  BOOST_TEST_REQUIRE(ASN1_TIME_set_string_X509(late.get(), "20500101000000Z") == 1);
  BOOST_TEST_REQUIRE(ASN1_STRING_type(late.get()) == V_ASN1_GENERALIZEDTIME);
  BOOST_TEST_REQUIRE(X509_set1_notAfter(original.get(), late.get()) == 1);
  auto chain = forge_ok(*qaznet_authority(), *original);
  const ASN1_TIME* forged = X509_get0_notAfter(chain.leaf.get());
  BOOST_TEST(ASN1_STRING_type(forged) == V_ASN1_UTCTIME);
  BOOST_TEST(seconds_between(late.get(), forged) == -6 * 3600);
}

BOOST_AUTO_TEST_CASE(serial_is_original_plus_nonzero_value_below_2_to_32) {
  for (const char* name : {"sample-bank.pem", "sample-ecdsa.pem", "sample-serial-1byte.pem",
                           "sample-serial-carry.pem"}) {
    BOOST_TEST_CONTEXT(name) {
      auto original = load_pem_fixture(name);
      const auto& chain = forge_fixture(name);
      BignumPtr diff(BN_new());
      BOOST_TEST_REQUIRE(BN_sub(diff.get(), serial_bn(*chain.leaf).get(), serial_bn(*original).get()) == 1);
      BOOST_TEST(!BN_is_negative(diff.get()));
      BOOST_TEST(!BN_is_zero(diff.get()));
      BOOST_TEST(BN_num_bits(diff.get()) <= 32);
    }
  }
}

BOOST_AUTO_TEST_CASE(serial_addition_carries_past_the_low_four_bytes) {
  // 12345678 FFFFFFFFFF: any d > 0 carries out of the low five bytes, so the forged serial
  // must differ above the low 32 bits, as the real sample's did.
  auto original = load_pem_fixture("sample-serial-carry.pem");
  const auto& chain = forge_fixture("sample-serial-carry.pem");
  BignumPtr high_original(BN_new()), high_forged(BN_new());
  BN_rshift(high_original.get(), serial_bn(*original).get(), 32);
  BN_rshift(high_forged.get(), serial_bn(*chain.leaf).get(), 32);
  BOOST_TEST(BN_cmp(high_original.get(), high_forged.get()) != 0);
}

BOOST_AUTO_TEST_CASE(serial_at_twenty_byte_limit_is_decremented_instead) {
  auto original = load_pem_fixture("sample-serial-20byte.pem");
  const auto& chain = forge_fixture("sample-serial-20byte.pem");
  const ASN1_INTEGER* forged = X509_get0_serialNumber(chain.leaf.get());
  BOOST_TEST(ASN1_STRING_length(forged) <= 20);
  BignumPtr diff(BN_new());
  BOOST_TEST_REQUIRE(BN_sub(diff.get(), serial_bn(*original).get(), serial_bn(*chain.leaf).get()) == 1);
  BOOST_TEST(!BN_is_negative(diff.get()));
  BOOST_TEST(!BN_is_zero(diff.get()));
  BOOST_TEST(BN_num_bits(diff.get()) <= 32);
}

BOOST_AUTO_TEST_CASE(negative_and_zero_serials_forge_from_their_magnitude) {
  X509Ptr original(X509_dup(load_pem_fixture("sample-bank.pem").get()));
  for (long value : {-5000L, 0L}) {
    BOOST_TEST_CONTEXT(value) {
      Asn1IntegerPtr serial(ASN1_INTEGER_new());
      BOOST_TEST_REQUIRE(ASN1_INTEGER_set(serial.get(), value) == 1);
      BOOST_TEST_REQUIRE(X509_set_serialNumber(original.get(), serial.get()) == 1);
      auto chain = forge_ok(*qaznet_authority(), *original);
      BignumPtr forged = serial_bn(*chain.leaf);
      BOOST_TEST(!BN_is_negative(forged.get()));
      BignumPtr magnitude = serial_bn(*original);
      BN_set_negative(magnitude.get(), 0);
      BignumPtr diff(BN_new());
      BN_sub(diff.get(), forged.get(), magnitude.get());
      BOOST_TEST(!BN_is_negative(diff.get()));
      BOOST_TEST(!BN_is_zero(diff.get()));
      BOOST_TEST(BN_num_bits(diff.get()) <= 32);
    }
  }
}

BOOST_AUTO_TEST_CASE(issuer_is_the_intermediate_subject_bytes) {
  const auto& chain = forge_fixture("sample-bank.pem");
  Bytes issuer = name_der(X509_get_issuer_name(chain.leaf.get()));
  BOOST_TEST(issuer == name_der(X509_get_subject_name(&qaznet_authority()->intermediate())));
  auto real = load_pem_fixture("qaznet-security-certificate-intermediate.pem");
  BOOST_TEST(issuer == name_der(X509_get_subject_name(real.get())));
}

BOOST_AUTO_TEST_CASE(extensions_are_exactly_the_real_samples_in_order) {
  const std::vector<std::pair<int, bool>> with_san = {
      {NID_subject_key_identifier, false}, {NID_authority_key_identifier, false},
      {NID_basic_constraints, false},      {NID_key_usage, false},
      {NID_ext_key_usage, false},          {NID_subject_alt_name, false}};
  const auto& chain = forge_fixture("sample-bank.pem");
  BOOST_TEST((extension_layout(*chain.leaf) == with_san));
  const auto& no_san = forge_fixture("sample-no-san.pem");
  const std::vector<std::pair<int, bool>> without_san(with_san.begin(), with_san.end() - 1);
  BOOST_TEST((extension_layout(*no_san.leaf) == without_san));
}

BOOST_AUTO_TEST_CASE(extension_values_follow_the_rules) {
  const auto& chain = forge_fixture("sample-bank.pem");
  X509* leaf = chain.leaf.get();
  const FakeAuthority& ca = *qaznet_authority();
  // SKI: SHA-1 of the new key, computed here by OpenSSL.
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  BOOST_TEST_REQUIRE(X509_pubkey_digest(leaf, EVP_sha1(), md, &n) == 1);
  BOOST_TEST(ski_bytes(*leaf) == Bytes(md, md + n));
  // AKI: the intermediate's keyid, the intermediate's issuer name and serial.
  const ASN1_OCTET_STRING* keyid = X509_get0_authority_key_id(leaf);
  BOOST_TEST_REQUIRE(keyid != nullptr);
  BOOST_TEST(ASN1_STRING_length(keyid) > 0);
  BOOST_TEST(Bytes(ASN1_STRING_get0_data(keyid), ASN1_STRING_get0_data(keyid) + ASN1_STRING_length(keyid)) ==
             ski_bytes(ca.intermediate()));
  const GENERAL_NAMES* aki_issuer = X509_get0_authority_issuer(leaf);
  BOOST_TEST_REQUIRE(aki_issuer != nullptr);
  BOOST_TEST_REQUIRE(sk_GENERAL_NAME_num(aki_issuer) == 1);
  int type = 0;
  auto* dir = static_cast<X509_NAME*>(GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(aki_issuer, 0), &type));
  BOOST_TEST(type == GEN_DIRNAME);
  BOOST_TEST(name_der(dir) == name_der(X509_get_issuer_name(&ca.intermediate())));
  const ASN1_INTEGER* aki_serial = X509_get0_authority_serial(leaf);
  BOOST_TEST_REQUIRE(aki_serial != nullptr);
  BOOST_TEST(ASN1_INTEGER_cmp(aki_serial, X509_get0_serialNumber(&ca.intermediate())) == 0);
  // basicConstraints CA:FALSE, keyUsage, extendedKeyUsage.
  BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(leaf, NID_basic_constraints, nullptr, nullptr)));
  BOOST_TEST_REQUIRE(bc.get() != nullptr);
  BOOST_TEST(bc->ca == 0);
  BOOST_TEST(X509_check_ca(leaf) == 0);
  BOOST_TEST(X509_get_key_usage(leaf) == static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  BOOST_TEST(X509_get_extended_key_usage(leaf) == static_cast<std::uint32_t>(XKU_SSL_SERVER | XKU_SSL_CLIENT));
}

BOOST_AUTO_TEST_CASE(signed_sha256_rsa_by_the_intermediate) {
  const auto& chain = forge_fixture("sample-bank.pem");
  BOOST_TEST(X509_get_signature_nid(chain.leaf.get()) == NID_sha256WithRSAEncryption);
  BOOST_TEST(X509_verify(chain.leaf.get(), X509_get0_pubkey(&qaznet_authority()->intermediate())) == 1);
  BOOST_TEST(X509_get_version(chain.leaf.get()) == X509_VERSION_3);
}

BOOST_AUTO_TEST_CASE(chain_is_leaf_then_the_authoritys_intermediate) {
  const auto& chain = forge_fixture("sample-bank.pem");
  BOOST_TEST(chain.intermediate_der == x509_to_der(&qaznet_authority()->intermediate()));
  BOOST_TEST(chain.leaf_der == x509_to_der(chain.leaf.get()));
}

BOOST_AUTO_TEST_CASE(chain_verifies_to_the_fake_root_and_not_to_the_real_one) {
  for (const char* name : {"sample-bank.pem", "sample-ecdsa.pem", "sample-ed25519.pem"}) {
    BOOST_TEST_CONTEXT(name) {
      const auto& chain = forge_fixture(name);
      BOOST_TEST(verify_against(qaznet_authority()->root(), chain, nullptr) == X509_V_OK);
      auto real_root = load_pem_fixture("qaznet-trust-network-root.pem");
      BOOST_TEST(verify_against(*real_root, chain, nullptr) != X509_V_OK);
    }
  }
  // The copied SAN carries the host names: hostname checking passes for the bank's names.
  const auto& bank = forge_fixture("sample-bank.pem");
  BOOST_TEST(verify_against(qaznet_authority()->root(), bank, "www.example-bank.kz") == X509_V_OK);
  BOOST_TEST(verify_against(qaznet_authority()->root(), bank, "facebook.com") != X509_V_OK);
}

BOOST_AUTO_TEST_CASE(same_seed_same_bytes_different_seed_different_bytes) {
  auto original = load_pem_fixture("sample-bank.pem");
  auto first = forge_ok(*qaznet_authority(), *original);
  auto second = forge_ok(*qaznet_authority(), *original);
  BOOST_TEST(first.leaf_der == second.leaf_der);
  auto ca1 = FakeAuthority::create(fast_profile("test-seed"), 1);
  auto ca1_again = FakeAuthority::create(fast_profile("test-seed"), 1);
  auto ca2 = FakeAuthority::create(fast_profile("test-seed"), 2);
  BOOST_TEST_REQUIRE((ca1.ok() && ca1_again.ok() && ca2.ok()));
  BOOST_TEST(forge_ok(*ca1, *original).leaf_der == forge_ok(*ca1_again, *original).leaf_der);
  BOOST_TEST(forge_ok(*ca1, *original).leaf_der != forge_ok(*ca2, *original).leaf_der);
}

BOOST_AUTO_TEST_CASE(cache_hit_gives_the_bytes_a_miss_gives) {
  Forger forger(qaznet_authority(), 8);
  auto original = load_pem_fixture("sample-bank.pem");
  auto miss = forger.forge(*original);
  BOOST_TEST_REQUIRE(miss.ok());
  auto hit = forger.forge(*original);
  BOOST_TEST_REQUIRE(hit.ok());
  BOOST_TEST(forger.counters().misses == 1u);
  BOOST_TEST(forger.counters().hits == 1u);
  BOOST_TEST((*hit)->leaf_der == (*miss)->leaf_der);
  BOOST_TEST((*hit)->leaf_der == forge_ok(*qaznet_authority(), *original).leaf_der);
}

BOOST_AUTO_TEST_CASE(cache_is_bounded_and_evicts_least_recently_used) {
  Forger forger(qaznet_authority(), 2);
  auto a = load_pem_fixture("sample-bank.pem");
  auto b = load_pem_fixture("sample-no-san.pem");
  auto c = load_pem_fixture("sample-serial-1byte.pem");
  BOOST_TEST_REQUIRE(forger.forge(*a).ok());
  BOOST_TEST_REQUIRE(forger.forge(*b).ok());
  BOOST_TEST_REQUIRE(forger.forge(*a).ok());  // a is now the most recently used
  BOOST_TEST_REQUIRE(forger.forge(*c).ok());  // evicts b
  BOOST_TEST(forger.cached() == 2u);
  BOOST_TEST(forger.counters().evictions == 1u);
  BOOST_TEST_REQUIRE(forger.forge(*a).ok());
  BOOST_TEST(forger.counters().hits == 2u);
  BOOST_TEST_REQUIRE(forger.forge(*b).ok());
  BOOST_TEST(forger.counters().misses == 4u);
  BOOST_TEST(forger.cached() == 2u);
}

BOOST_AUTO_TEST_CASE(key_source_hook_is_used_and_changes_nothing) {
  int calls = 0;
  KeySource counting = [&calls](ByteView seed, const RsaKeySpec& spec) {
    ++calls;
    return derive_rsa_key(seed, spec);
  };
  Forger forger(qaznet_authority(), 4, counting);
  auto original = load_pem_fixture("sample-ecdsa.pem");
  auto chain = forger.forge(*original);
  BOOST_TEST_REQUIRE(chain.ok());
  BOOST_TEST(calls == 1);
  BOOST_TEST((*chain)->leaf_der == forge_ok(*qaznet_authority(), *original).leaf_der);
}

BOOST_AUTO_TEST_CASE(failing_key_source_is_an_error_and_counted) {
  KeySource broken = [](ByteView, const RsaKeySpec&) -> Result<EvpPkeyPtr> {
    return make_error("no keys today");
  };
  Forger forger(qaznet_authority(), 4, broken);
  auto result = forger.forge(*load_pem_fixture("sample-bank.pem"));
  BOOST_TEST_REQUIRE(!result.ok());
  BOOST_TEST(result.message().find("no keys today") != std::string::npos);
  BOOST_TEST(forger.counters().failures == 1u);
  BOOST_TEST(forger.cached() == 0u);
}

BOOST_AUTO_TEST_CASE(golden_digest_pins_the_forgery) {
  // SHA-256 of the forged sample-bank leaf, qaznet-2019, seed 7 (see fake-authority-test).
  const auto& chain = forge_fixture("sample-bank.pem");
  unsigned char md[32];
  SHA256(chain.leaf_der.data(), chain.leaf_der.size(), md);
  BOOST_TEST(to_hex(ByteView(md, sizeof md)) ==
             "0d7a3536bde7853e1adba2666f187d453d7897e5f08d499249b348ee630a6c80");
}

BOOST_AUTO_TEST_CASE(unusual_subject_encodings_survive_byte_for_byte) {
  // Teletex and BMP strings, a multi-valued RDN and an IA5 e-mail address: re-encoding such
  // a name from its text form would change its DER, copying it does not.
  X509Ptr original(X509_dup(load_pem_fixture("sample-bank.pem").get()));
  X509NamePtr name(X509_NAME_new());
  const unsigned char bmp_cn[] = {0x04, 0x1A, 0x04, 0x30, 0x04, 0x37, 0x00, 0x2E, 0x00, 0x6B, 0x00, 0x7A};
  BOOST_TEST_REQUIRE(X509_NAME_add_entry_by_NID(name.get(), NID_countryName, V_ASN1_PRINTABLESTRING,
                                                reinterpret_cast<const unsigned char*>("KZ"), 2, -1, 0) == 1);
  BOOST_TEST_REQUIRE(X509_NAME_add_entry_by_NID(name.get(), NID_organizationName, V_ASN1_T61STRING,
                                                reinterpret_cast<const unsigned char*>("Example Bank"), 12, -1, 0) == 1);
  BOOST_TEST_REQUIRE(X509_NAME_add_entry_by_NID(name.get(), NID_organizationalUnitName, V_ASN1_PRINTABLESTRING,
                                                reinterpret_cast<const unsigned char*>("IT"), 2, -1, 1) == 1);
  BOOST_TEST_REQUIRE(X509_NAME_add_entry_by_NID(name.get(), NID_commonName, V_ASN1_BMPSTRING, bmp_cn,
                                                sizeof bmp_cn, -1, 0) == 1);
  BOOST_TEST_REQUIRE(X509_NAME_add_entry_by_NID(name.get(), NID_pkcs9_emailAddress, V_ASN1_IA5STRING,
                                                reinterpret_cast<const unsigned char*>("it@example-bank.kz"), 18, -1, 0) == 1);
  BOOST_TEST_REQUIRE(X509_set_subject_name(original.get(), name.get()) == 1);
  auto chain = forge_ok(*qaznet_authority(), *original);
  BOOST_TEST(name_der(X509_get_subject_name(chain.leaf.get())) == name_der(name.get()));
  // And through a DER round trip of the forged certificate, as a client would parse it.
  auto parsed = x509_from_der(chain.leaf_der);
  BOOST_TEST_REQUIRE(parsed.ok());
  BOOST_TEST(name_der(X509_get_subject_name(parsed->get())) == name_der(name.get()));
}
