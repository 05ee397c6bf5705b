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

// True when OpenSSL runs two 1024-bit exponentiations at once with AVX-512 IFMA
// (BN_mod_exp_mont_consttime_x2): about twice the throughput of two single ones. Without
// IFMA, x2 falls back to two constant-time exponentiations, slower than BN_mod_exp_mont.
// Only speed depends on this, never a result: exponentiation results are exact.
bool paired_exponentiation_is_fast() {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool fast = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512ifma");
  return fast;
#else
  return false;
#endif
}

// Miller-Rabin state of one candidate c: c - 1 = 2^a * m, the Montgomery context shared by
// all of its rounds, and Hc, the root of its witnesses.
struct Candidate {
  BignumPtr c{BN_new()}, c_minus_1{BN_new()}, m{BN_new()}, w{BN_new()}, y{BN_new()};
  BnMontCtxPtr mont{BN_MONT_CTX_new()};
  int a = 0;
  Digest hc{};
  bool allocated() const { return c && c_minus_1 && m && w && y && mont; }
};

// Walks X, X+2, X+4, ... window by window and yields the candidates that survive the sieve:
// no odd prime factor below kSieveBound and c mod e != 1. Offsets solve
// base + 2j = target (mod s), i.e. j = (target - r) * 2^-1 (mod s).
class CandidateWalk {
 public:
  enum class Step { kCandidate, kExhausted, kError };

  CandidateWalk(const std::vector<std::uint32_t>& moduli, std::size_t sieve_primes, std::size_t e_index,
                unsigned prime_bits)
      : moduli_(moduli), sieve_primes_(sieve_primes), e_index_(e_index), prime_bits_(prime_bits),
        sieved_(kWindow) {}

  // Starts over at x (given as big-endian bytes).
  bool reset(ByteView x) {
    if (!base_ || !BN_bin2bn(x.data(), static_cast<int>(x.size()), base_.get())) return false;
    residues(x, moduli_, res_);
    windows_ = 0;
    sieve();
    return true;
  }

  Step next(BIGNUM* out) {
    for (;;) {
      while (j_ < kWindow && sieved_[j_]) ++j_;
      if (j_ < kWindow) break;
      if (!BN_add_word(base_.get(), 2 * kWindow)) return Step::kError;
      if (BN_num_bits(base_.get()) > static_cast<int>(prime_bits_)) return Step::kExhausted;
      for (std::size_t i = 0; i < moduli_.size(); ++i) res_[i] = (res_[i] + 2 * kWindow) % moduli_[i];
      ++windows_;
      sieve();
    }
    if (!BN_copy(out, base_.get()) || !BN_add_word(out, 2 * j_)) return Step::kError;
    ++j_;
    if (BN_num_bits(out) > static_cast<int>(prime_bits_)) return Step::kExhausted;  // reached 2^k
    return Step::kCandidate;
  }

  // Odd numbers walked past so far from the last reset.
  std::uint64_t walked() const { return windows_ * kWindow + j_; }

 private:
  void sieve() {
    j_ = 0;
    std::fill(sieved_.begin(), sieved_.end(), 0);
    for (std::size_t i = 0; i < moduli_.size(); ++i) {
      const std::uint64_t s = moduli_[i];
      const std::uint64_t half = (s + 1) / 2;  // the inverse of 2 modulo odd s
      if (i < sieve_primes_) {
        for (std::uint64_t j = (s - res_[i]) % s * half % s; j < kWindow; j += s) sieved_[j] = 1;
      }
      if (i == e_index_) {
        for (std::uint64_t j = (1 + s - res_[i]) % s * half % s; j < kWindow; j += s) sieved_[j] = 1;
      }
    }
  }

  const std::vector<std::uint32_t>& moduli_;
  std::size_t sieve_primes_, e_index_;
  unsigned prime_bits_;
  BignumPtr base_{BN_new()};
  std::vector<std::uint32_t> res_;
  std::vector<std::uint8_t> sieved_;
  unsigned j_ = 0;
  std::uint64_t windows_ = 0;
};

// Per-derivation state: the stream, the spec's parameters and the prime search.
class Deriver {
 public:
  Deriver(const Digest& key, const RsaKeySpec& spec, RsaDerivationStats& stats)
      : stream_(key), prime_bits_(spec.bits / 2), stats_(stats) {
    moduli_ = small_primes();
    // e = 65537 is above the sieve bound: one more modulus, for the c mod e != 1 rule only.
    e_index_ = moduli_.size();
    for (std::size_t i = 0; i < moduli_.size(); ++i) {
      if (moduli_[i] == spec.public_exponent) e_index_ = i;
    }
    if (e_index_ == moduli_.size()) moduli_.push_back(static_cast<std::uint32_t>(spec.public_exponent));
    rounds_ = prime_bits_ >= 1536 ? 4 : prime_bits_ >= 1024 ? 5 : 7;
    paired_ = prime_bits_ == 1024 && paired_exponentiation_is_fast();
  }

  // prime(k) of the header; nullptr on an OpenSSL failure. Candidates are tested two at a
  // time (first rounds paired); the earlier one in walk order wins, as the header requires.
  BignumPtr next_prime() {
    thread_local BnCtxPtr ctx(BN_CTX_new());
    ctx_ = ctx.get();
    const std::size_t len = prime_bits_ / 8;
    Bytes x_bytes(len);
    CandidateWalk walk(moduli_, small_primes().size(), e_index_, prime_bits_);
    std::array<Candidate, 2> pair;
    if (!ctx_ || !pair[0].allocated() || !pair[1].allocated()) return nullptr;
    for (;;) {
      ++stats_.prime_draws;
      if (!stream_.read(x_bytes)) return nullptr;
      x_bytes[0] |= 0xC0;
      x_bytes[len - 1] |= 0x01;
      if (!walk.reset(x_bytes)) return nullptr;
      for (;;) {
        std::size_t got = 0;
        for (; got < pair.size(); ++got) {
          auto step = walk.next(pair[got].c.get());
          if (step == CandidateWalk::Step::kError) return nullptr;
          if (step == CandidateWalk::Step::kExhausted) break;
          if (!prepare(pair[got])) return nullptr;
        }
        std::array<int, 2> verdict{0, 0};
        if (got == 2 && paired_) {
          if (!test_round(pair[0], 0, pair[1], 0, verdict)) return nullptr;
        } else {
          for (std::size_t i = 0; i < got; ++i) {
            std::array<int, 2> single{0, 0};
            if (!test_round(pair[i], 0, pair[i], -1, single)) return nullptr;
            verdict[i] = single[0];
          }
        }
        for (std::size_t i = 0; i < got; ++i) {
          if (!verdict[i]) continue;
          int rest = remaining_rounds(pair[i]);
          if (rest < 0) return nullptr;
          if (rest == 1) {
            stats_.candidates += walk.walked();
            return std::move(pair[i].c);
          }
        }
        if (got < pair.size()) break;  // walk exhausted: fresh X
      }
      stats_.candidates += walk.walked();
    }
  }

 private:
  bool prepare(Candidate& cand) {
    const BIGNUM* c = cand.c.get();
    if (!BN_MONT_CTX_set(cand.mont.get(), c, ctx_) || !BN_copy(cand.c_minus_1.get(), c) ||
        !BN_sub_word(cand.c_minus_1.get(), 1)) {
      return false;
    }
    cand.a = 1;
    while (!BN_is_bit_set(cand.c_minus_1.get(), cand.a)) ++cand.a;
    if (!BN_rshift(cand.m.get(), cand.c_minus_1.get(), cand.a)) return false;
    const std::size_t len = prime_bits_ / 8;
    Bytes c_bytes(len);
    if (BN_bn2binpad(c, c_bytes.data(), static_cast<int>(len)) != static_cast<int>(len)) return false;
    return sha256({stream_.key(), as_bytes(kWitnessLabel), c_bytes}, cand.hc);
  }

  // witness(c, r) of the header, into `w`.
  bool witness(const Candidate& cand, unsigned round, BIGNUM* w) {
    const std::size_t len = prime_bits_ / 8;
    Bytes w_bytes;
    w_bytes.reserve(len + 32);
    for (std::uint32_t block = 0; w_bytes.size() < len; ++block) {
      Bytes suffix;
      put_u32(suffix, round);
      put_u32(suffix, block);
      Digest d;
      if (!sha256({cand.hc, suffix}, d)) return false;
      w_bytes.insert(w_bytes.end(), d.begin(), d.end());
    }
    if (!BN_bin2bn(w_bytes.data(), static_cast<int>(len), w)) return false;
    if (!BN_clear_bit(w, static_cast<int>(prime_bits_) - 1)) return false;
    return BN_cmp(w, BN_value_one()) > 0 || BN_set_word(w, 2);
  }

  // The strong-probable-prime check after y = w^m mod c: 1 passes, 0 composite, -1 failure.
  int strong_tail(const Candidate& cand, BIGNUM* y) {
    if (BN_is_one(y) || BN_cmp(y, cand.c_minus_1.get()) == 0) return 1;
    for (int i = 1; i < cand.a; ++i) {
      if (!BN_mod_sqr(y, y, cand.c.get(), ctx_)) return -1;
      if (BN_cmp(y, cand.c_minus_1.get()) == 0) return 1;
      if (BN_is_one(y)) return 0;
    }
    return 0;
  }

  // Round r1 on c1 and, when r2 >= 0, round r2 on c2 (possibly the same candidate), with one
  // paired exponentiation when that is fast. verdict[i]: 1 passed, 0 composite.
  bool test_round(Candidate& c1, int r1, Candidate& c2, int r2, std::array<int, 2>& verdict) {
    // c1 and c2 may be the same candidate: keep the second round's numbers apart.
    BignumPtr w2(BN_new()), y2(BN_new());
    if (!w2 || !y2 || !witness(c1, static_cast<unsigned>(r1), c1.w.get())) return false;
    ++stats_.miller_rabin;
    if (r2 >= 0) {
      if (!witness(c2, static_cast<unsigned>(r2), w2.get())) return false;
      ++stats_.miller_rabin;
      if (paired_) {
        if (!BN_mod_exp_mont_consttime_x2(c1.y.get(), c1.w.get(), c1.m.get(), c1.c.get(), c1.mont.get(), y2.get(),
                                          w2.get(), c2.m.get(), c2.c.get(), c2.mont.get(), ctx_)) {
          return false;
        }
      } else if (!BN_mod_exp_mont(y2.get(), w2.get(), c2.m.get(), c2.c.get(), ctx_, c2.mont.get())) {
        return false;
      }
    }
    if (r2 < 0 || !paired_) {
      if (!BN_mod_exp_mont(c1.y.get(), c1.w.get(), c1.m.get(), c1.c.get(), ctx_, c1.mont.get())) return false;
    }
    verdict[0] = strong_tail(c1, c1.y.get());
    verdict[1] = r2 >= 0 ? strong_tail(c2, y2.get()) : 0;
    return verdict[0] >= 0 && verdict[1] >= 0;
  }

  // Rounds 1..t-1 of a candidate that passed round 0, two at a time: 1 prime, 0 composite.
  int remaining_rounds(Candidate& cand) {
    for (int r = 1; r < static_cast<int>(rounds_); r += 2) {
      std::array<int, 2> verdict{0, 0};
      const bool two = r + 1 < static_cast<int>(rounds_);
      if (!test_round(cand, r, cand, two ? r + 1 : -1, verdict)) return -1;
      if (!verdict[0] || (two && !verdict[1])) return 0;
    }
    return 1;
  }

  KeyStream stream_;
  unsigned prime_bits_;
  unsigned rounds_ = 0;
  bool paired_ = false;
  std::vector<std::uint32_t> moduli_;
  std::size_t e_index_ = 0;
  BN_CTX* ctx_ = nullptr;  // the thread's BN_CTX, set by next_prime
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

  Bytes header(kRsaKeyDerivationLabel.begin(), kRsaKeyDerivationLabel.end());
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
