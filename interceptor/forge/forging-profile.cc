#include "interceptor/forge/forging-profile.h"

#include <openssl/asn1.h>
#include <openssl/obj_mac.h>

namespace mitmlab {

namespace {

NameAttribute printable(int nid, std::string value) {
  return NameAttribute{nid, std::move(value), V_ASN1_PRINTABLESTRING};
}

// facts §4, checked against tests/fixtures/certs/qaznet-*.pem: names, validity, serial,
// extension order and key usage bits as the real certificates encode them.
CaCertProfile qaznet_root() {
  CaCertProfile p;
  p.subject = {printable(NID_countryName, "KZ"), printable(NID_commonName, "Qaznet Trust Network")};
  p.key_bits = 4096;
  p.not_before = 1454391660;  // 2016-02-02 05:41:00Z
  p.not_after = 2401162860;   // 2046-02-02 05:41:00Z
  p.serial_kind = CaSerial::kFixed;
  p.fixed_serial = {0x3D, 0x95, 0x7F, 0xCA, 0x1F, 0x8C, 0x0F, 0xC8, 0x69, 0x2C,
                    0x01, 0x99, 0x4E, 0xB5, 0x52, 0x31, 0x03, 0x5B, 0x9D, 0xF1};
  // The real root writes keyUsage last, after the key identifiers.
  p.extensions = {CaExtension::kBasicConstraintsCa, CaExtension::kSubjectKeyIdentifier,
                  CaExtension::kAuthorityKeyIdKeyId, CaExtension::kKeyUsage};
  p.key_usage = {KeyUsageBit::kNonRepudiation, KeyUsageBit::kKeyCertSign, KeyUsageBit::kCrlSign};
  return p;
}

CaCertProfile qaznet_intermediate() {
  CaCertProfile p;
  p.subject = {printable(NID_countryName, "KZ"), printable(NID_commonName, "Security Certificate")};
  p.key_bits = 2048;
  p.not_before = 1518417416;  // 2018-02-12 06:36:56Z
  p.not_after = 1613111816;   // 2021-02-12 06:36:56Z
  p.serial_kind = CaSerial::kSubjectKeyIdentifier;
  p.extensions = {CaExtension::kBasicConstraintsCa, CaExtension::kKeyUsage,
                  CaExtension::kSubjectKeyIdentifier, CaExtension::kAuthorityKeyIdFull};
  p.key_usage = {KeyUsageBit::kKeyCertSign, KeyUsageBit::kCrlSign};
  return p;
}

ForgingProfile qaznet_2019() {
  ForgingProfile p;
  p.name = "qaznet-2019";
  p.description =
      "July 2019 Qaznet Trust Network authority; leaves RSA-2048 e=3, validity 6 h earlier, "
      "serial = original + d (0 < d < 2^32)";
  p.root = qaznet_root();
  p.intermediate = qaznet_intermediate();
  return p;
}

ForgingProfile qaznet_2019_early() {
  ForgingProfile p = qaznet_2019();
  p.name = "qaznet-2019-early";
  p.description = "qaznet-2019 before 2019-07-19: leaves RSA-1024 e=3";
  p.leaf.key_bits = 1024;
  return p;
}

ForgingProfile qaznet_2019_24h() {
  ForgingProfile p = qaznet_2019();
  p.name = "qaznet-2019-24h";
  p.description =
      "qaznet-2019 from 2019-07-30, reading the paper's \"updated to 24 hours\" as the shift";
  p.leaf.validity_shift_seconds = 24 * 3600;
  return p;
}

// December 2020 (facts §4): only the root's names, key size and dates were published.
// Assumptions, documented here because nobody published them:
//  - validity starts and ends at 00:00:00Z on the published dates;
//  - the root's serial equals its SKI, like the Qaznet intermediate's (the real one is unknown);
//  - root extensions in the common CA order: basicConstraints, keyUsage, SKI;
//  - an intermediate "C=KZ, O=ISCA, CN=ISCA Intermediate CA", RSA-2048, 3 years from the
//    root's first day (the Qaznet intermediate also ran 3 years), laid out as Qaznet's;
//  - the leaves follow the 2019 rules (RSA-2048 e=3, 6 h, add below 2^32).
ForgingProfile isca_2020() {
  ForgingProfile p;
  p.name = "isca-2020";
  p.description =
      "December 2020 Information Security Certification Authority CA (O=ISCA); intermediate "
      "and leaf rules assumed as in 2019";
  p.root.subject = {printable(NID_countryName, "KZ"), printable(NID_organizationName, "ISCA"),
                    printable(NID_commonName, "Information Security Certification Authority CA")};
  p.root.key_bits = 4096;
  p.root.not_before = 1582848000;  // 2020-02-28 00:00:00Z
  p.root.not_after = 2214000000;   // 2040-02-28 00:00:00Z
  p.root.serial_kind = CaSerial::kSubjectKeyIdentifier;
  p.root.extensions = {CaExtension::kBasicConstraintsCa, CaExtension::kKeyUsage,
                       CaExtension::kSubjectKeyIdentifier};
  p.root.key_usage = {KeyUsageBit::kKeyCertSign, KeyUsageBit::kCrlSign};
  p.intermediate = qaznet_intermediate();
  p.intermediate.subject = {printable(NID_countryName, "KZ"),
                            printable(NID_organizationName, "ISCA"),
                            printable(NID_commonName, "ISCA Intermediate CA")};
  p.intermediate.not_before = 1582848000;  // 2020-02-28 00:00:00Z
  p.intermediate.not_after = 1677542400;   // 2023-02-28 00:00:00Z
  return p;
}

}  // namespace

const std::vector<ForgingProfile>& builtin_profiles() {
  static const std::vector<ForgingProfile> profiles = {qaznet_2019(), qaznet_2019_early(),
                                                       qaznet_2019_24h(), isca_2020()};
  return profiles;
}

std::string_view default_profile_name() { return "qaznet-2019"; }

Result<ForgingProfile> find_profile(std::string_view name) {
  std::string known;
  for (const auto& p : builtin_profiles()) {
    if (p.name == name) return p;
    known += known.empty() ? p.name : ", " + p.name;
  }
  return make_error("unknown forging profile '{}' (known: {})", name, known);
}

std::string_view serial_rule_name(SerialRule rule) {
  switch (rule) {
    case SerialRule::kAddBelow2To32: return "original + d, 0 < d < 2^32";
    case SerialRule::kReplaceLow32Bits: return "low 32 bits replaced";
    case SerialRule::kReplaceLow33Bits: return "low 33 bits replaced";
  }
  return "unknown";
}

}  // namespace mitmlab
