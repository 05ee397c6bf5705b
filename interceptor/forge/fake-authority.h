// The look-alike certificate authority: a root and an intermediate with the real Qaznet
// certificates' names, validity, serials and extension layout (facts §4), but mitmlab's
// own deterministic keys. Same (profile, seed) gives byte-identical certificates.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "interceptor/forge/forging-profile.h"
#include "interceptor/forge/rsa-key-derivation.h"
#include "net/bytes.h"
#include "net/openssl.h"
#include "net/result.h"

namespace mitmlab {

// Where keys come from. Empty: derive_rsa_key. A KeyCache (interceptor/forge/key-cache.h)
// plugs in as [&cache](ByteView s, const RsaKeySpec& k) { return cache.get(s, k); }; any
// source must return the key derive_rsa_key would, or determinism is lost.
using KeySource = std::function<Result<EvpPkeyPtr>(ByteView seed, const RsaKeySpec& spec)>;

class FakeAuthority {
 public:
  // Derives both keys (RSA-4096 for the root: about a second) and issues both certificates.
  static Result<FakeAuthority> create(const ForgingProfile& profile, std::uint64_t seed,
                                      const KeySource& keys = {});

  const ForgingProfile& profile() const { return profile_; }
  std::uint64_t seed() const { return seed_; }
  const X509& root() const { return *root_; }
  const X509& intermediate() const { return *intermediate_; }
  // Signing needs a non-const EVP_PKEY, though it does not change the key.
  EVP_PKEY& root_key() const { return *root_key_; }
  EVP_PKEY& intermediate_key() const { return *intermediate_key_; }
  // The intermediate's SHA-1 key identifier (its SKI; the forged leaves' AKI keyid).
  const Bytes& intermediate_key_id() const { return intermediate_key_id_; }

 private:
  FakeAuthority() = default;

  ForgingProfile profile_;
  std::uint64_t seed_ = 0;
  X509Ptr root_;
  EvpPkeyPtr root_key_;
  X509Ptr intermediate_;
  EvpPkeyPtr intermediate_key_;
  Bytes intermediate_key_id_;
};

// The seed bytes a CA key is derived from: the user seed (8 bytes, big-endian), the label
// ("root" or "intermediate"), the profile name, and a retry counter (see fake-authority.cc).
Bytes ca_key_seed(std::uint64_t seed, std::string_view label, std::string_view profile_name,
                  unsigned attempt);

// The user seed as 8 big-endian bytes, the prefix of every derivation seed.
Bytes seed_bytes(std::uint64_t seed);

// PEM of a private key (PKCS#8, unencrypted: these are lab keys).
std::string private_key_to_pem(EVP_PKEY& key);

}  // namespace mitmlab
