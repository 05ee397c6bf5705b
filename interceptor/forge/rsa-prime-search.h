// Internals of the RSA key derivation shared by its two files: the seeded byte stream and the
// prime search. Not an API: use derive_rsa_key (rsa-key-derivation.h), which documents the
// construction these implement.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>

#include "interceptor/forge/rsa-key-derivation.h"
#include "net/bytes.h"
#include "net/openssl.h"

namespace mitmlab::rsa_derivation {

using Digest = std::array<std::uint8_t, 32>;

inline void put_u32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
inline void put_u64(Bytes& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// SHA-256 of the concatenated parts; false on an OpenSSL failure. Thread-safe.
bool sha256(std::initializer_list<ByteView> parts, Digest& out);

// The counter-mode byte stream: SHA-256(K || u64(0)) || SHA-256(K || u64(1)) || ...
// Reads take the next bytes; nothing is reused.
class KeyStream {
 public:
  explicit KeyStream(const Digest& key) : key_(key) {}
  const Digest& key() const { return key_; }
  // False on an OpenSSL failure.
  bool read(std::span<std::uint8_t> out);

 private:
  Digest key_;
  Digest block_{};
  std::size_t used_ = block_.size();
  std::uint64_t counter_ = 0;
};

// prime(k) of the construction for k = spec.bits / 2, read from `stream`; nullptr on an
// OpenSSL failure. Adds its work to `stats`.
BignumPtr next_rsa_prime(KeyStream& stream, const RsaKeySpec& spec, RsaDerivationStats& stats);

}  // namespace mitmlab::rsa_derivation
