// RSA keys derived deterministically from a seed, so that forged certificates and the
// fake authority are byte-identical across runs and machines. OpenSSL's own random key
// generation never decides a result.
//
// THE CONSTRUCTION (version 1). Keys must stay stable forever: a change to anything below
// changes every key, every forged certificate and every golden result. The pinned test
// in tests/rsa-key-derivation-test.cc fails if it changes; bump the domain label then.
// Integers are big-endian; u32/u64 are fixed-width; k = bits / 2 is the prime size.
//
//   K       = SHA-256("mitmlab/rsa-key-derivation/v1" || 0x00 || u32(bits) || u64(e)
//                     || u64(len(seed)) || seed)
//   stream  = SHA-256(K || u64(0)) || SHA-256(K || u64(1)) || ...   (reads take the next bytes)
//
//   prime(k):
//     X = next k/8 bytes of the stream; set the top two bits and the lowest bit of X.
//     Walk c = X, X+2, X+4, ... and return the first c that
//       (a) has no odd prime factor below 2^14 (the sieve bound is part of the construction),
//       (b) has c mod e != 1, so gcd(c-1, e) = 1 (e is prime),
//       (c) passes t rounds of Miller-Rabin with the witnesses below.
//     If c reaches 2^k (practically never), start again with a fresh X from the stream.
//   witness(c, r), r = 0..t-1:
//     Hc = SHA-256(K || "witness" || c as k/8 bytes);
//     w  = first k/8 bytes of SHA-256(Hc || u32(r) || u32(0)) || SHA-256(Hc || u32(r) || u32(1)) || ...
//     clear bit k-1 of w (so w < c); if w < 2 then w = 2.
//     Witnesses depend on the candidate, not on how far the walk went, so a candidate's
//     verdict does not depend on how the sieve is implemented.
//   t (FIPS 186-5 Table B.1, column matching the key's strength): 5 rounds for 1024-bit
//     primes (2^-112), 4 for 1536- and 2048-bit primes (2^-128, 2^-144); RSA-1024 is outside
//     FIPS 186-5: 7 rounds for 512-bit primes (FIPS 186-4 Table C.3, 2^-100).
//   key:
//     p = prime(k); then q = prime(k), drawn again (new X) until |p - q| > 2^(k-100) and
//     d = e^-1 mod lcm(p-1, q-1) exceeds 2^(bits/2) (FIPS 186-5 A.1.1 conditions).
//     If p < q, swap them. n = p*q, dmp1 = d mod (p-1), dmq1 = d mod (q-1), iqmp = q^-1 mod p.
//     Setting the top two bits makes n exactly `bits` long.
//
// Thread safety: derive_rsa_key may run on many threads at once; it keeps no shared mutable
// state besides thread-local OpenSSL contexts.
#pragma once

#include <cstdint>
#include <string_view>

#include "net/bytes.h"
#include "net/openssl.h"
#include "net/result.h"

namespace mitmlab {

struct RsaKeySpec {
  unsigned bits = 2048;
  unsigned long public_exponent = 65537;
};

// The construction's domain label (K above). Changing the construction means a new label.
inline constexpr std::string_view kRsaKeyDerivationLabel = "mitmlab/rsa-key-derivation/v1";

inline bool operator==(const RsaKeySpec& a, const RsaKeySpec& b) {
  return a.bits == b.bits && a.public_exponent == b.public_exponent;
}

// Supported: bits 1024, 2048, 3072, 4096; public exponent 3 or 65537. Anything else is an
// error that names the supported values.
Status check_rsa_key_spec(const RsaKeySpec& spec);

// Same (seed, spec) gives the same key on every machine; different seeds give different keys.
// `seed` is any byte string: callers mix the scenario seed with a label (e.g. "root",
// or the SHA-256 of an original certificate).
Result<EvpPkeyPtr> derive_rsa_key(ByteView seed, const RsaKeySpec& spec);

// Work done by one derivation, for benchmarks and tuning (never part of a result).
struct RsaDerivationStats {
  std::uint64_t candidates = 0;       // odd candidates walked past, sieved or not
  std::uint64_t miller_rabin = 0;     // Miller-Rabin rounds run (one modular exponentiation each)
  std::uint64_t prime_draws = 0;      // fresh starting points drawn from the stream
};

// The same derivation, also reporting the work it did.
Result<EvpPkeyPtr> derive_rsa_key(ByteView seed, const RsaKeySpec& spec, RsaDerivationStats* stats);

}  // namespace mitmlab
