// Shared helpers for the forge tests: fixture loading and field extraction through
// OpenSSL's own parsers (never through the code under test).
#pragma once

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "interceptor/forge/fake-authority.h"
#include "interceptor/forge/forging-profile.h"
#include "net/openssl.h"

namespace mitmlab::test {

inline std::string cert_fixture(const std::string& name) {
  return std::string(MITMLAB_FIXTURES) + "/certs/" + name;
}

// Parses a PEM fixture with OpenSSL directly, independent of certificate-file.cc.
inline X509Ptr load_pem_fixture(const std::string& name) {
  const std::string path = cert_fixture(name);
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  BOOST_TEST_REQUIRE(bio.get() != nullptr, "cannot open " << path);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  BOOST_TEST_REQUIRE(cert.get() != nullptr, "cannot parse " << path);
  return cert;
}

inline Bytes name_der(const X509_NAME* name) {
  BOOST_TEST_REQUIRE(name != nullptr);
  int n = i2d_X509_NAME(name, nullptr);
  BOOST_TEST_REQUIRE(n > 0);
  Bytes out(static_cast<std::size_t>(n));
  unsigned char* p = out.data();
  i2d_X509_NAME(name, &p);
  return out;
}

inline BignumPtr serial_bn(const X509& cert) {
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(&cert), nullptr));
  BOOST_TEST_REQUIRE(bn.get() != nullptr);
  return bn;
}

// to - from, in seconds.
inline std::int64_t seconds_between(const ASN1_TIME* from, const ASN1_TIME* to) {
  int days = 0, secs = 0;
  BOOST_TEST_REQUIRE(ASN1_TIME_diff(&days, &secs, from, to) == 1);
  return std::int64_t{days} * 86400 + secs;
}

// (NID, critical) of every extension, in order.
inline std::vector<std::pair<int, bool>> extension_layout(const X509& cert) {
  std::vector<std::pair<int, bool>> out;
  for (int i = 0; i < X509_get_ext_count(&cert); ++i) {
    X509_EXTENSION* ext = X509_get_ext(&cert, i);
    out.emplace_back(OBJ_obj2nid(X509_EXTENSION_get_object(ext)),
                     X509_EXTENSION_get_critical(ext) != 0);
  }
  return out;
}

// The DER value (inside the OCTET STRING) of the first extension with `nid`; empty if none.
inline Bytes extension_value(const X509& cert, int nid) {
  int idx = X509_get_ext_by_NID(&cert, nid, -1);
  if (idx < 0) return {};
  ASN1_OCTET_STRING* v = X509_EXTENSION_get_data(X509_get_ext(&cert, idx));
  const unsigned char* d = ASN1_STRING_get0_data(v);
  return Bytes(d, d + ASN1_STRING_length(v));
}

inline BignumPtr rsa_exponent(const X509& cert) {
  BIGNUM* e = nullptr;
  BOOST_TEST_REQUIRE(EVP_PKEY_get_bn_param(X509_get0_pubkey(&cert), OSSL_PKEY_PARAM_RSA_E, &e) == 1);
  return BignumPtr(e);
}

inline BignumPtr bn_from_bytes(ByteView b) {
  return BignumPtr(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
}

inline Bytes ski_bytes(const X509& cert) {
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(const_cast<X509*>(&cert));
  if (ski == nullptr) return {};
  const unsigned char* d = ASN1_STRING_get0_data(ski);
  return Bytes(d, d + ASN1_STRING_length(ski));
}

// The default authority (qaznet-2019, seed 7), minted once per test executable: the
// RSA-4096 root takes about a second.
inline std::shared_ptr<const FakeAuthority> qaznet_authority() {
  static const std::shared_ptr<const FakeAuthority> ca = [] {
    auto profile = find_profile("qaznet-2019");
    BOOST_TEST_REQUIRE(profile.ok());
    auto made = FakeAuthority::create(*profile, 7);
    BOOST_TEST_REQUIRE(made.ok(), (made.ok() ? std::string() : made.message()));
    return std::make_shared<const FakeAuthority>(std::move(made).value());
  }();
  return ca;
}

// qaznet-2019 with a 2048-bit root, for tests that need extra authorities but do not
// look at the root's key size (keeps the suite fast).
inline ForgingProfile fast_profile(std::string name) {
  auto profile = find_profile("qaznet-2019");
  BOOST_TEST_REQUIRE(profile.ok());
  ForgingProfile p = *profile;
  p.name = std::move(name);
  p.root.key_bits = 2048;
  return p;
}

}  // namespace mitmlab::test
