// A forging profile: every choice that makes a fake authority and its forgeries look like
// one particular real interception campaign, as one named value. The rules themselves
// live in fake-authority.cc and forger.cc; the numbers and names live here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/bytes.h"
#include "net/result.h"

namespace mitmlab {

// One attribute of a distinguished name, encoded with exactly this ASN.1 string type
// (the Qaznet certificates use PrintableString; re-encoding as UTF8String would change
// the DER bytes that the forged leaves' issuer must match).
struct NameAttribute {
  int nid;            // NID_countryName, NID_organizationName, NID_commonName...
  std::string value;
  int asn1_type;      // V_ASN1_PRINTABLESTRING, V_ASN1_UTF8STRING...
};

// KeyUsage bits by their RFC 5280 position.
enum class KeyUsageBit : int {
  kDigitalSignature = 0,
  kNonRepudiation = 1,
  kKeyEncipherment = 2,
  kKeyCertSign = 5,
  kCrlSign = 6,
};

// The extensions a CA certificate carries, in the order they are written.
enum class CaExtension {
  kBasicConstraintsCa,         // critical, CA:TRUE, no path length
  kKeyUsage,                   // critical, the profile's key_usage bits
  kSubjectKeyIdentifier,       // SHA-1 of the subject public key (RFC 5280 method 1)
  kAuthorityKeyIdKeyId,        // keyid only (the Qaznet root: keyid = its own SKI)
  kAuthorityKeyIdFull,         // keyid + issuer's issuer name + issuer's serial
};

// How a CA certificate's serial number is chosen.
enum class CaSerial {
  kFixed,                 // `fixed_serial` (the real root's serial)
  kSubjectKeyIdentifier,  // equal to its own SKI, as the real intermediate's
};

struct CaCertProfile {
  std::vector<NameAttribute> subject;
  unsigned key_bits = 2048;
  unsigned long public_exponent = 65537;
  std::int64_t not_before = 0;  // Unix seconds, UTC
  std::int64_t not_after = 0;
  CaSerial serial_kind = CaSerial::kSubjectKeyIdentifier;
  Bytes fixed_serial;  // big-endian magnitude, for CaSerial::kFixed
  std::vector<CaExtension> extensions;
  std::vector<KeyUsageBit> key_usage;
};

// How a forged leaf's serial is made from the original's (facts §3: the sources disagree).
enum class SerialRule {
  kAddBelow2To32,     // original + d, 0 < d < 2^32, carries included (the one real sample)
  kReplaceLow32Bits,  // the report's "last 4 bytes changed"
  kReplaceLow33Bits,  // the paper's "last 33 bits changed randomly"
};

struct LeafProfile {
  unsigned key_bits = 2048;
  unsigned long public_exponent = 3;
  std::int64_t validity_shift_seconds = 6 * 3600;  // both notBefore and notAfter move this far back
  SerialRule serial_rule = SerialRule::kAddBelow2To32;
};

struct ForgingProfile {
  std::string name;
  std::string description;
  CaCertProfile root;
  CaCertProfile intermediate;
  LeafProfile leaf;
};

// The profiles mitmlab ships, by name: qaznet-2019, qaznet-2019-early, qaznet-2019-24h, isca-2020.
const std::vector<ForgingProfile>& builtin_profiles();

// The default profile's name ("qaznet-2019").
std::string_view default_profile_name();

// Looks a profile up by name; an unknown name gives an error listing the known ones.
Result<ForgingProfile> find_profile(std::string_view name);

std::string_view serial_rule_name(SerialRule rule);

}  // namespace mitmlab
