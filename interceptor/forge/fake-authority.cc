#include "interceptor/forge/fake-authority.h"

#include <openssl/pem.h>

#include "interceptor/forge/certificate-builder.h"
#include "interceptor/forge/rsa-key-derivation.h"

namespace mitmlab {

namespace {

// A serial equal to the SKI must be a 20-byte positive INTEGER, as the real intermediate's
// is (5E4D...): a SHA-1 whose first byte is 0x00 would encode in 19 bytes and one whose top
// bit is set in 21. So the key is re-derived with the next attempt number until the SKI
// starts with 0x01..0x7F, about two tries on average; the cap only guards against a broken
// key source.
constexpr unsigned kMaxSkiAttempts = 64;

bool ski_fits_serial(const Bytes& ski) {
  return ski.size() == 20 && ski[0] != 0x00 && (ski[0] & 0x80) == 0;
}

struct Issued {
  X509Ptr cert;
  EvpPkeyPtr key;
  Bytes key_id;
};

struct Issuer {
  const X509& cert;
  EVP_PKEY& key;
  const Bytes& key_id;
};

// Issues one CA certificate per `p`. `issuer` is null for a self-signed root.
Result<Issued> issue_ca(const CaCertProfile& p, std::string_view label,
                        std::string_view profile_name, std::uint64_t seed, const Issuer* issuer,
                        const KeySource& keys) {
  auto subject = build_name(p.subject);
  if (!subject) return subject.error();
  auto not_before = make_time(p.not_before);
  if (!not_before) return not_before.error();
  auto not_after = make_time(p.not_after);
  if (!not_after) return not_after.error();

  for (unsigned attempt = 0; attempt < kMaxSkiAttempts; ++attempt) {
    Bytes key_seed = ca_key_seed(seed, label, profile_name, attempt);
    const RsaKeySpec spec{p.key_bits, p.public_exponent};
    auto key = keys ? keys(key_seed, spec) : derive_rsa_key(key_seed, spec);
    if (!key) return make_error("{} key: {}", label, key.message());

    // The serial is only known once the key is (when it is the SKI), so a placeholder
    // goes in first and is replaced before signing.
    Asn1IntegerPtr serial(ASN1_INTEGER_new());
    if (!serial || ASN1_INTEGER_set(serial.get(), 1) != 1) return openssl_error("serial");
    const X509_NAME& issuer_name =
        issuer ? *X509_get_subject_name(&issuer->cert) : *subject.value();
    auto cert = new_certificate(*serial, issuer_name, **subject, **not_before, **not_after, **key);
    if (!cert) return cert.error();
    auto ski = key_identifier(**cert);
    if (!ski) return ski.error();

    if (p.serial_kind == CaSerial::kSubjectKeyIdentifier) {
      if (!ski_fits_serial(*ski)) continue;
      BignumPtr bn(BN_bin2bn(ski->data(), static_cast<int>(ski->size()), nullptr));
      serial.reset(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
    } else {
      BignumPtr bn(BN_bin2bn(p.fixed_serial.data(), static_cast<int>(p.fixed_serial.size()), nullptr));
      serial.reset(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
    }
    if (!serial || X509_set_serialNumber(cert->get(), serial.get()) != 1)
      return openssl_error(fmt::format("{}: cannot set serial", label));

    // AKI: keyid of the signing key; for the full form also the signer's issuer and serial.
    const Bytes& signer_key_id = issuer ? issuer->key_id : *ski;
    const X509& signer_cert = issuer ? issuer->cert : static_cast<const X509&>(**cert);
    for (auto ext : p.extensions) {
      Status s = Ok{};
      switch (ext) {
        case CaExtension::kBasicConstraintsCa: s = append_basic_constraints(**cert, true, true); break;
        case CaExtension::kKeyUsage: s = append_key_usage(**cert, p.key_usage, true); break;
        case CaExtension::kSubjectKeyIdentifier: s = append_subject_key_identifier(**cert, *ski); break;
        case CaExtension::kAuthorityKeyIdKeyId:
          s = append_authority_key_identifier(**cert, signer_key_id, nullptr, nullptr);
          break;
        case CaExtension::kAuthorityKeyIdFull:
          s = append_authority_key_identifier(**cert, signer_key_id,
                                              X509_get_issuer_name(&signer_cert),
                                              X509_get0_serialNumber(&signer_cert));
          break;
      }
      if (!s) return make_error("{}: {}", label, s.message());
    }
    EVP_PKEY& signing_key = issuer ? issuer->key : **key;
    if (auto s = sign_sha256(**cert, signing_key); !s) return make_error("{}: {}", label, s.message());
    return Issued{std::move(*cert), std::move(*key), std::move(*ski)};
  }
  return make_error("{}: no key with a 20-byte positive SKI after {} attempts", label,
                    kMaxSkiAttempts);
}

}  // namespace

Bytes seed_bytes(std::uint64_t seed) {
  Bytes out(8);
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(seed >> (56 - 8 * i));
  return out;
}

Bytes ca_key_seed(std::uint64_t seed, std::string_view label, std::string_view profile_name,
                  unsigned attempt) {
  // NUL separators keep ("ab","c") and ("a","bc") apart.
  Bytes out = seed_bytes(seed);
  // Reserving first also keeps GCC 12's -Warray-bounds false positive on insert() quiet.
  out.reserve(out.size() + label.size() + profile_name.size() + 16);
  auto append = [&out](std::string_view s) {
    out.insert(out.end(), s.begin(), s.end());
    out.push_back(0);
  };
  append(label);
  append(profile_name);
  // Attempt 0 adds nothing, so the first try's seed is exactly (seed, label, profile).
  if (attempt > 0) append(std::to_string(attempt));
  return out;
}

std::string private_key_to_pem(EVP_PKEY& key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), &key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return {};
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Result<FakeAuthority> FakeAuthority::create(const ForgingProfile& profile, std::uint64_t seed,
                                            const KeySource& keys) {
  auto root = issue_ca(profile.root, "root", profile.name, seed, nullptr, keys);
  if (!root) return root.error();
  Issuer root_issuer{*root->cert, *root->key, root->key_id};
  auto intermediate =
      issue_ca(profile.intermediate, "intermediate", profile.name, seed, &root_issuer, keys);
  if (!intermediate) return intermediate.error();

  FakeAuthority ca;
  ca.profile_ = profile;
  ca.seed_ = seed;
  ca.root_ = std::move(root->cert);
  ca.root_key_ = std::move(root->key);
  ca.intermediate_ = std::move(intermediate->cert);
  ca.intermediate_key_ = std::move(intermediate->key);
  ca.intermediate_key_id_ = std::move(intermediate->key_id);
  return ca;
}

}  // namespace mitmlab
