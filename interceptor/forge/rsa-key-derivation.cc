// Deterministic RSA key derivation; the construction is specified in the header.
// Speed comes from a sieve over a window of candidates (most composites never reach a
// modular exponentiation) and from FIPS 186-5 round counts for random candidates.
#include "interceptor/forge/rsa-key-derivation.h"

#include <array>
#include <cstring>
#include <string_view>
#include <vector>

#include <openssl/core_names.h>

namespace mitmlab {
namespace {

using BnMontCtxPtr = OpenSslPtr<BN_MONT_CTX, BN_MONT_CTX_free>;
using EvpMdPtr = OpenSslPtr<EVP_MD, EVP_MD_free>;
using Digest = std::array<std::uint8_t, 32>;

constexpr std::string_view kDomain = "mitmlab/rsa-key-derivation/v1";
constexpr std::string_view kWitnessLabel = "witness";
// Odd primes below this bound are trial-divided by the sieve. Part of the construction.
constexpr unsigned kSieveBound = 1u << 14;
// Odd candidates per sieve window. An implementation detail: any window gives the same key.
// A 1024-bit prime with p mod 3 = 2 is found after ~710 odd candidates on average.
constexpr unsigned kWindow = 4096;

void put_u32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void put_u64(Bytes& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// SHA-256 fetched once: implicit fetches (EVP_sha256()) take a lock on every init.
const EVP_MD* sha256_md() {
  static const EvpMdPtr md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  return md.get();
}

// One-shot SHA-256 over a list of byte strings, on a thread-local context.
bool sha256(std::initializer_list<ByteView> parts, Digest& out) {
  thread_local EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const EVP_MD* md = sha256_md();
  if (!ctx || !md || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1) return false;
  for (ByteView part : parts) {
    if (EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1) return false;
  }
  unsigned int n = 0;
  return EVP_DigestFinal_ex(ctx.get(), out.data(), &n) == 1 && n == out.size();
}

// The counter-mode byte stream: SHA-256(K || u64(i)) for i = 0, 1, ...
class KeyStream {
 public:
  explicit KeyStream(const Digest& key) : key_(key) {}

  const Digest& key() const { return key_; }

  bool read(std::span<std::uint8_t> out) {
    for (std::uint8_t& byte : out) {
      if (used_ == block_.size()) {
        Bytes counter;
        put_u64(counter, counter_++);
        if (!sha256({key_, counter}, block_)) return false;
        used_ = 0;
      }
      byte = block_[used_++];
    }
    return true;
  }

 private:
  Digest key_;
  Digest block_{};
  std::size_t used_ = block_.size();
  std::uint64_t counter_ = 0;
};

// The odd primes below kSieveBound, computed once (thread-safe static initialisation).
const std::vector<std::uint32_t>& small_primes() {
  static const std::vector<std::uint32_t> primes = [] {
    std::vector<bool> composite(kSieveBound, false);
    std::vector<std::uint32_t> out;
    for (std::uint32_t i = 3; i < kSieveBound; i += 2) {
      if (composite[i]) continue;
      out.push_back(i);
      for (std::uint64_t j = std::uint64_t{i} * i; j < kSieveBound; j += 2 * i) composite[j] = true;
    }
    return out;
  }();
  return primes;
}

// Residues of a big-endian number modulo many small moduli. Moduli are grouped into
// products below 2^32 so that one pass of 32-bit limbs serves two or three of them.
void residues(ByteView big_endian, const std::vector<std::uint32_t>& moduli, std::vector<std::uint32_t>& out) {
  out.resize(moduli.size());
  std::size_t i = 0;
  while (i < moduli.size()) {
    std::uint64_t product = moduli[i];
    std::size_t end = i + 1;
    while (end < moduli.size() && product * moduli[end] < (std::uint64_t{1} << 32)) product *= moduli[end++];
    std::uint64_t r = 0;
    // The byte length is a multiple of 4 for every supported size (k is a multiple of 512).
    for (std::size_t b = 0; b + 4 <= big_endian.size(); b += 4) {
      std::uint32_t limb = (std::uint32_t{big_endian[b]} << 24) | (std::uint32_t{big_endian[b + 1]} << 16) |
                           (std::uint32_t{big_endian[b + 2]} << 8) | big_endian[b + 3];
      r = ((r << 32) | limb) % product;
    }
    for (; i < end; ++i) out[i] = static_cast<std::uint32_t>(r % moduli[i]);
  }
}

// Per-derivation state: the stream, the spec's parameters and scratch numbers.
class Deriver {
 public:
  Deriver(const Digest& key, const RsaKeySpec& spec, RsaDerivationStats& stats)
      : stream_(key), spec_(spec), prime_bits_(spec.bits / 2), stats_(stats) {
    moduli_ = small_primes();
    // e = 65537 is above the sieve bound: add it as one more modulus for the p mod e != 1 rule.
    e_index_ = moduli_.size();
    for (std::size_t i = 0; i < moduli_.size(); ++i) {
      if (moduli_[i] == spec.public_exponent) e_index_ = i;
    }
    if (e_index_ == moduli_.size()) moduli_.push_back(static_cast<std::uint32_t>(spec.public_exponent));
    rounds_ = prime_bits_ >= 1536 ? 4 : prime_bits_ >= 1024 ? 5 : 7;
  }

  // prime(k) of the header; nullptr on an OpenSSL failure.
  BignumPtr next_prime() {
    const std::size_t len = prime_bits_ / 8;
    Bytes x_bytes(len);
    std::vector<std::uint32_t> res;
    std::vector<std::uint8_t> sieved(kWindow);
    BignumPtr base(BN_new()), candidate(BN_new());
    if (!base || !candidate) return nullptr;
    for (;;) {
      ++stats_.prime_draws;
      if (!stream_.read(x_bytes)) return nullptr;
      x_bytes[0] |= 0xC0;
      x_bytes[len - 1] |= 0x01;
      if (!BN_bin2bn(x_bytes.data(), static_cast<int>(len), base.get())) return nullptr;
      residues(x_bytes, moduli_, res);
      // Walk window after window; `base` is the window's first candidate.
      for (;;) {
        sieve_window(res, sieved);
        for (unsigned j = 0; j < kWindow; ++j) {
          if (sieved[j]) continue;
          if (!BN_copy(candidate.get(), base.get()) || !BN_add_word(candidate.get(), 2 * j)) return nullptr;
          if (BN_num_bits(candidate.get()) > static_cast<int>(prime_bits_)) break;  // reached 2^k
          int verdict = miller_rabin(candidate.get());
          if (verdict < 0) return nullptr;
          if (verdict == 1) {
            stats_.candidates += j + 1;
            return candidate;
          }
        }
        stats_.candidates += kWindow;
        if (!BN_add_word(base.get(), 2 * kWindow)) return nullptr;
        if (BN_num_bits(base.get()) > static_cast<int>(prime_bits_)) break;  // fresh X
        for (std::size_t i = 0; i < moduli_.size(); ++i) res[i] = (res[i] + 2 * kWindow) % moduli_[i];
      }
    }
  }

  const Digest& key() const { return stream_.key(); }

 private:
  // Marks window offsets j whose candidate base + 2j is divisible by a small prime, or is
  // 1 mod e. Offsets solve base + 2j = target (mod m), i.e. j = (target - r) * 2^-1 (mod m).
  void sieve_window(const std::vector<std::uint32_t>& res, std::vector<std::uint8_t>& sieved) const {
    std::fill(sieved.begin(), sieved.end(), 0);
    for (std::size_t i = 0; i < moduli_.size(); ++i) {
      const std::uint64_t m = moduli_[i];
      const std::uint64_t half = (m + 1) / 2;  // the inverse of 2 modulo odd m
      if (i < small_primes().size()) {
        for (std::uint64_t j = (m - res[i]) % m * half % m; j < kWindow; j += m) sieved[j] = 1;
      }
      if (i == e_index_) {
        for (std::uint64_t j = (1 + m - res[i]) % m * half % m; j < kWindow; j += m) sieved[j] = 1;
      }
    }
  }

  // 1: probably prime; 0: composite; -1: OpenSSL failure.
  int miller_rabin(const BIGNUM* c) {
    thread_local BnCtxPtr ctx(BN_CTX_new());
    if (!ctx) return -1;
    BnMontCtxPtr mont(BN_MONT_CTX_new());
    BignumPtr c_minus_1(BN_dup(c)), m(BN_new()), w(BN_new()), y(BN_new());
    if (!mont || !c_minus_1 || !m || !w || !y) return -1;
    if (!BN_MONT_CTX_set(mont.get(), c, ctx.get()) || !BN_sub_word(c_minus_1.get(), 1)) return -1;
    int a = 1;
    while (!BN_is_bit_set(c_minus_1.get(), a)) ++a;
    if (!BN_rshift(m.get(), c_minus_1.get(), a)) return -1;

    const std::size_t len = prime_bits_ / 8;
    Bytes c_bytes(len);
    if (BN_bn2binpad(c, c_bytes.data(), static_cast<int>(len)) != static_cast<int>(len)) return -1;
    Digest hc;
    if (!sha256({key(), as_bytes(kWitnessLabel), c_bytes}, hc)) return -1;

    Bytes w_bytes;
    w_bytes.reserve(len + 32);
    for (unsigned r = 0; r < rounds_; ++r) {
      ++stats_.miller_rabin;
      w_bytes.clear();
      for (std::uint32_t block = 0; w_bytes.size() < len; ++block) {
        Bytes suffix;
        put_u32(suffix, r);
        put_u32(suffix, block);
        Digest d;
        if (!sha256({hc, suffix}, d)) return -1;
        w_bytes.insert(w_bytes.end(), d.begin(), d.end());
      }
      if (!BN_bin2bn(w_bytes.data(), static_cast<int>(len), w.get())) return -1;
      if (!BN_clear_bit(w.get(), static_cast<int>(prime_bits_) - 1)) return -1;
      if (BN_cmp(w.get(), BN_value_one()) <= 0 && !BN_set_word(w.get(), 2)) return -1;

      if (!BN_mod_exp_mont(y.get(), w.get(), m.get(), c, ctx.get(), mont.get())) return -1;
      if (BN_is_one(y.get()) || BN_cmp(y.get(), c_minus_1.get()) == 0) continue;
      bool passed = false;
      for (int i = 1; i < a && !passed; ++i) {
        if (!BN_mod_sqr(y.get(), y.get(), c, ctx.get())) return -1;
        if (BN_cmp(y.get(), c_minus_1.get()) == 0) passed = true;
        else if (BN_is_one(y.get())) return 0;
      }
      if (!passed) return 0;
    }
    return 1;
  }

  KeyStream stream_;
  RsaKeySpec spec_;
  unsigned prime_bits_;
  unsigned rounds_ = 0;
  std::vector<std::uint32_t> moduli_;
  std::size_t e_index_ = 0;
  RsaDerivationStats& stats_;
};

// The EVP_PKEY for (n, e, d, p, q, dmp1, dmq1, iqmp).
Result<EvpPkeyPtr> assemble(const BIGNUM* n, const BIGNUM* e, const BIGNUM* d, const BIGNUM* p, const BIGNUM* q,
                            const BIGNUM* dmp1, const BIGNUM* dmq1, const BIGNUM* iqmp) {
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_D, d) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, p) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, q) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dmp1) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dmq1) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, iqmp)) {
    return openssl_error("derive_rsa_key: building key parameters failed");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr pctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (!params || !pctx || EVP_PKEY_fromdata_init(pctx.get()) != 1) {
    return openssl_error("derive_rsa_key: preparing EVP_PKEY_fromdata failed");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(pctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    return openssl_error("derive_rsa_key: EVP_PKEY_fromdata failed");
  }
  return EvpPkeyPtr(raw);
}

}  // namespace

Status check_rsa_key_spec(const RsaKeySpec& spec) {
  if (spec.bits != 1024 && spec.bits != 2048 && spec.bits != 3072 && spec.bits != 4096) {
    return make_error("RSA key size {} is not supported (use 1024, 2048, 3072 or 4096)", spec.bits);
  }
  if (spec.public_exponent != 3 && spec.public_exponent != 65537) {
    return make_error("RSA public exponent {} is not supported (use 3 or 65537)", spec.public_exponent);
  }
  return Ok{};
}

Result<EvpPkeyPtr> derive_rsa_key(ByteView seed, const RsaKeySpec& spec) {
  RsaDerivationStats ignored;
  return derive_rsa_key(seed, spec, &ignored);
}

Result<EvpPkeyPtr> derive_rsa_key(ByteView seed, const RsaKeySpec& spec, RsaDerivationStats* stats) {
  if (auto ok = check_rsa_key_spec(spec); !ok) return ok.error();
  RsaDerivationStats local;
  RsaDerivationStats& st = stats ? *stats : local;

  Bytes header(kDomain.begin(), kDomain.end());
  header.push_back(0x00);
  put_u32(header, spec.bits);
  put_u64(header, spec.public_exponent);
  put_u64(header, seed.size());
  Digest key;
  if (!sha256({header, seed}, key)) return openssl_error("derive_rsa_key: SHA-256 failed");

  thread_local BnCtxPtr ctx(BN_CTX_new());
  BignumPtr e(BN_new()), p1(BN_new()), q1(BN_new()), g(BN_new()), lcm(BN_new()), d(BN_new()), bound(BN_new()),
      diff(BN_new()), n(BN_new()), dmp1(BN_new()), dmq1(BN_new()), iqmp(BN_new());
  if (!ctx || !e || !p1 || !q1 || !g || !lcm || !d || !bound || !diff || !n || !dmp1 || !dmq1 || !iqmp ||
      !BN_set_word(e.get(), spec.public_exponent)) {
    return openssl_error("derive_rsa_key: out of memory");
  }
  const unsigned k = spec.bits / 2;
  Deriver deriver(key, spec, st);
  BignumPtr p = deriver.next_prime();
  if (!p || !BN_sub(p1.get(), p.get(), BN_value_one())) return openssl_error("derive_rsa_key: prime search failed");

  BignumPtr q;
  for (;;) {
    q = deriver.next_prime();
    if (!q || !BN_sub(q1.get(), q.get(), BN_value_one())) return openssl_error("derive_rsa_key: prime search failed");
    // |p - q| > 2^(k-100): p and q must not share their top bits (Fermat factoring).
    if (!BN_sub(diff.get(), p.get(), q.get())) return openssl_error("derive_rsa_key: BN_sub failed");
    BN_set_negative(diff.get(), 0);
    if (BN_num_bits(diff.get()) <= static_cast<int>(k) - 100) continue;
    // d = e^-1 mod lcm(p-1, q-1); it exists since p, q != 1 mod e and e is prime.
    if (!BN_gcd(g.get(), p1.get(), q1.get(), ctx.get()) || !BN_mul(lcm.get(), p1.get(), q1.get(), ctx.get()) ||
        !BN_div(lcm.get(), nullptr, lcm.get(), g.get(), ctx.get()) ||
        !BN_mod_inverse(d.get(), e.get(), lcm.get(), ctx.get())) {
      return openssl_error("derive_rsa_key: computing d failed");
    }
    // d > 2^(bits/2): a small d would expose the key (Wiener, Boneh-Durfee).
    if (BN_num_bits(d.get()) <= static_cast<int>(k)) continue;
    break;
  }
  if (BN_cmp(p.get(), q.get()) < 0) {
    std::swap(p, q);
    std::swap(p1, q1);
  }
  if (!BN_mul(n.get(), p.get(), q.get(), ctx.get()) || !BN_mod(dmp1.get(), d.get(), p1.get(), ctx.get()) ||
      !BN_mod(dmq1.get(), d.get(), q1.get(), ctx.get()) ||
      !BN_mod_inverse(iqmp.get(), q.get(), p.get(), ctx.get())) {
    return openssl_error("derive_rsa_key: computing CRT parameters failed");
  }
  if (BN_num_bits(n.get()) != static_cast<int>(spec.bits)) {
    return make_error("derive_rsa_key: modulus has {} bits, expected {}", BN_num_bits(n.get()), spec.bits);
  }
  return assemble(n.get(), e.get(), d.get(), p.get(), q.get(), dmp1.get(), dmq1.get(), iqmp.get());
}

}  // namespace mitmlab
