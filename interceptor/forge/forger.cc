#include "interceptor/forge/forger.h"

#include <openssl/sha.h>

#include "interceptor/forge/certificate-builder.h"
#include "interceptor/forge/forged-serial.h"

namespace mitmlab {

namespace {

void append(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }

// The deterministic 64-bit draw behind the serial: SHA-256 over a domain label, the user
// seed, the profile name and the original's hash, so each (seed, profile, original) has its own.
std::uint64_t serial_draw(const FakeAuthority& authority, ByteView original_sha256) {
  Bytes in;
  append(in, as_bytes("mitmlab serial"));
  in.push_back(0);
  append(in, seed_bytes(authority.seed()));
  append(in, as_bytes(authority.profile().name));
  in.push_back(0);
  append(in, original_sha256);
  std::uint8_t md[SHA256_DIGEST_LENGTH];
  SHA256(in.data(), in.size(), md);
  std::uint64_t draw = 0;
  for (int i = 0; i < 8; ++i) draw = (draw << 8) | md[i];
  return draw;
}


Result<Asn1TimePtr> shifted(const ASN1_TIME* t, std::int64_t shift, const char* which) {
  if (t == nullptr) return make_error("original has no {}", which);
  auto unix_time = time_to_unix(*t);
  if (!unix_time) return make_error("original {}: {}", which, unix_time.message());
  return make_time(*unix_time - shift);
}

}  // namespace

Bytes leaf_key_seed(std::uint64_t seed, ByteView original_sha256) {
  Bytes out = seed_bytes(seed);
  append(out, as_bytes("leaf"));
  append(out, original_sha256);
  return out;
}

Result<ForgedChain> forge_chain(const FakeAuthority& authority, const X509& original,
                                const KeySource& keys) {
  const LeafProfile& leaf = authority.profile().leaf;
  const Bytes original_hash = x509_sha256(&original);
  if (original_hash.empty()) return make_error("original certificate cannot be encoded");

  auto key = keys ? keys(leaf_key_seed(authority.seed(), original_hash),
                         RsaKeySpec{leaf.key_bits, leaf.public_exponent})
                  : derive_rsa_key(leaf_key_seed(authority.seed(), original_hash),
                                   RsaKeySpec{leaf.key_bits, leaf.public_exponent});
  if (!key) return make_error("leaf key: {}", key.message());

  const ASN1_INTEGER* original_serial = X509_get0_serialNumber(&original);
  if (original_serial == nullptr) return make_error("original has no serial number");
  auto serial = forge_serial(*original_serial, leaf.serial_rule,
                             serial_draw(authority, original_hash));
  if (!serial) return serial.error();

  auto not_before = shifted(X509_get0_notBefore(&original), leaf.validity_shift_seconds, "notBefore");
  if (!not_before) return not_before.error();
  auto not_after = shifted(X509_get0_notAfter(&original), leaf.validity_shift_seconds, "notAfter");
  if (!not_after) return not_after.error();

  // Subject: the parsed X509_NAME is copied, and OpenSSL re-emits a parsed name from its
  // cached original encoding, so the DER is the original's byte for byte.
  const X509_NAME* subject = X509_get_subject_name(&original);
  const X509_NAME* issuer = X509_get_subject_name(&authority.intermediate());
  if (subject == nullptr || issuer == nullptr) return make_error("certificate without a name");
  auto cert = new_certificate(**serial, *issuer, *subject, **not_before, **not_after, **key);
  if (!cert) return cert.error();

  // Extensions: exactly the real sample's set and order, all non-critical; of the
  // original's extensions only subjectAltName survives, its value copied byte for byte.
  auto ski = key_identifier(**cert);
  if (!ski) return ski.error();
  const X509& intermediate = authority.intermediate();
  Status steps[] = {
      append_subject_key_identifier(**cert, *ski),
      append_authority_key_identifier(**cert, authority.intermediate_key_id(),
                                      X509_get_issuer_name(&intermediate),
                                      X509_get0_serialNumber(&intermediate)),
      append_basic_constraints(**cert, false, false),
      append_key_usage(**cert, {KeyUsageBit::kDigitalSignature, KeyUsageBit::kKeyEncipherment}, false),
      append_extended_key_usage(**cert, {NID_server_auth, NID_client_auth}),
  };
  for (const auto& s : steps)
    if (!s) return s.error();
  const int san_index = X509_get_ext_by_NID(&original, NID_subject_alt_name, -1);
  if (san_index >= 0) {
    const X509_EXTENSION* san = X509_get_ext(&original, san_index);
    // X509_EXTENSION_get_data only reads, but OpenSSL 3.0 declares it non-const.
    const ASN1_OCTET_STRING* value =
        san ? X509_EXTENSION_get_data(const_cast<X509_EXTENSION*>(san)) : nullptr;
    if (value == nullptr) return make_error("original subjectAltName unreadable");
    if (auto s = append_raw_extension(**cert, NID_subject_alt_name, *value); !s) return s.error();
  }
  if (auto s = sign_sha256(**cert, authority.intermediate_key()); !s) return s.error();

  ForgedChain chain;
  chain.leaf_der = x509_to_der(cert->get());
  chain.intermediate_der = x509_to_der(&intermediate);
  chain.leaf = std::move(*cert);
  chain.intermediate.reset(X509_dup(&intermediate));
  chain.leaf_key = std::move(*key);
  if (chain.leaf_der.empty() || chain.intermediate_der.empty() || !chain.intermediate)
    return openssl_error("cannot encode the forged chain");
  return chain;
}

Forger::Forger(std::shared_ptr<const FakeAuthority> authority, std::size_t capacity,
               KeySource keys)
    : authority_(std::move(authority)), capacity_(capacity), keys_(std::move(keys)) {}

Result<std::shared_ptr<const ForgedChain>> Forger::forge(const X509& original) {
  const Bytes hash = x509_sha256(&original);
  std::string key(hash.begin(), hash.end());
  if (auto it = index_.find(key); it != index_.end()) {
    ++counters_.hits;
    lru_.splice(lru_.begin(), lru_, it->second);  // now most recently used
    return it->second->second;
  }
  ++counters_.misses;
  auto chain = forge_chain(*authority_, original, keys_);
  if (!chain) {
    ++counters_.failures;
    return chain.error();
  }
  auto shared = std::make_shared<const ForgedChain>(std::move(*chain));
  if (capacity_ == 0) return shared;  // caching disabled
  lru_.emplace_front(key, shared);
  index_[key] = lru_.begin();
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
    ++counters_.evictions;
  }
  return shared;
}

}  // namespace mitmlab
