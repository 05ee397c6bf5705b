// The prime search of the RSA key derivation (prime(k) and witness(c, r) in
// rsa-key-derivation.h). Speed comes from a sieve over a window of candidates (most
// composites never reach a modular exponentiation), FIPS 186-5 round counts for random
// candidates, and paired exponentiations where the CPU runs them at once.
#include "interceptor/forge/rsa-prime-search.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

namespace mitmlab::rsa_derivation {
namespace {

using BnMontCtxPtr = OpenSslPtr<BN_MONT_CTX, BN_MONT_CTX_free>;
using EvpMdPtr = OpenSslPtr<EVP_MD, EVP_MD_free>;

constexpr std::string_view kWitnessLabel = "witness";
// Odd primes below this bound are trial-divided by the sieve: the construction's 2^14.
// Sieving further would only skip composites earlier (the same keys, barring a composite
// passing Miller-Rabin); measured here, 2^15..2^17 cut the exponentiations by 6-16% but the
// longer residue and sieve passes ate the gain (no difference within the noise).
constexpr unsigned kSieveLimit = 1u << 14;
// Odd candidates per sieve window. An implementation detail: any window gives the same key.
// A 1024-bit prime with p mod 3 = 2 is found after ~710 odd candidates on average.
constexpr unsigned kWindow = 4096;

// SHA-256 fetched once: implicit fetches (EVP_sha256()) take a lock on every init.
const EVP_MD* sha256_md() {
  static const EvpMdPtr md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  return md.get();
}

// The odd primes below kSieveLimit.
std::vector<std::uint32_t> odd_primes_below(std::uint32_t limit) {
  std::vector<bool> composite(limit, false);
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 3; i < limit; i += 2) {
    if (composite[i]) continue;
    out.push_back(i);
    for (std::uint64_t j = std::uint64_t{i} * i; j < limit; j += 2 * i) composite[j] = true;
  }
  return out;
}

// The sieve's moduli for one exponent: the odd primes below kSieveLimit, then e unless it is
// one of them. Residues are computed per group of moduli whose product is below 2^32, so one
// pass over the candidate's 32-bit limbs serves two or more moduli, and each step reduces
// with a Barrett multiplication instead of a division.
struct Moduli {
  struct Group {
    std::uint64_t product, mu;  // mu = floor(2^64 / product)
    std::size_t begin, end;
  };
  std::vector<std::uint32_t> values;
  std::vector<std::uint32_t> window_step;  // 2 * kWindow mod values[i], to move to the next window
  std::size_t sieve_primes = 0;            // values[0, sieve_primes) are sieved for divisibility
  std::size_t e_index = 0;                 // values[e_index] == e
  std::vector<Group> groups;

  explicit Moduli(unsigned long e) : values(odd_primes_below(kSieveLimit)) {
    sieve_primes = values.size();
    e_index = std::find(values.begin(), values.end(), e) - values.begin();
    if (e_index == values.size()) values.push_back(static_cast<std::uint32_t>(e));
    for (std::uint32_t v : values) window_step.push_back(2 * kWindow % v);
    for (std::size_t i = 0; i < values.size();) {
      Group g{values[i], 0, i, i + 1};
      while (g.end < values.size() && g.product * values[g.end] < (std::uint64_t{1} << 32)) g.product *= values[g.end++];
      g.mu = static_cast<std::uint64_t>((static_cast<unsigned __int128>(1) << 64) / g.product);
      groups.push_back(g);
      i = g.end;
    }
  }

  // x mod values[i] for every i, x given big-endian with a length that is a multiple of 4
  // (true of every supported prime size).
  void residues(ByteView x, std::vector<std::uint32_t>& out) const {
    out.resize(values.size());
    for (const Group& g : groups) {
      std::uint64_t r = 0;
      for (std::size_t b = 0; b + 4 <= x.size(); b += 4) {
        const std::uint64_t limb = (std::uint32_t{x[b]} << 24) | (std::uint32_t{x[b + 1]} << 16) |
                                   (std::uint32_t{x[b + 2]} << 8) | x[b + 3];
        const std::uint64_t v = (r << 32) | limb;  // r < product < 2^32: no overflow
        // Barrett: q underestimates v / product by less than 2, so r ends below product.
        const auto q = static_cast<std::uint64_t>((static_cast<unsigned __int128>(v) * g.mu) >> 64);
        r = v - q * g.product;
        while (r >= g.product) r -= g.product;
      }
      for (std::size_t i = g.begin; i < g.end; ++i) out[i] = static_cast<std::uint32_t>(r % values[i]);
    }
  }
};

const Moduli& moduli_for(unsigned long e) {
  static const Moduli three(3), f4(65537);  // the only supported exponents
  return e == 3 ? three : f4;
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
// no odd prime factor below kSieveLimit and c mod e != 1. Offsets solve
// base + 2j = target (mod s), i.e. j = (target - r) * 2^-1 (mod s).
class CandidateWalk {
 public:
  enum class Step { kCandidate, kExhausted, kError };

  CandidateWalk(const Moduli& moduli, unsigned prime_bits)
      : moduli_(moduli), prime_bits_(prime_bits), sieved_(kWindow) {}

  // Starts over at x (given as big-endian bytes).
  bool reset(ByteView x) {
    if (!base_ || !BN_bin2bn(x.data(), static_cast<int>(x.size()), base_.get())) return false;
    moduli_.residues(x, res_);
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
      for (std::size_t i = 0; i < res_.size(); ++i) {
        res_[i] += moduli_.window_step[i];
        if (res_[i] >= moduli_.values[i]) res_[i] -= moduli_.values[i];
      }
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
    for (std::size_t i = 0; i < res_.size(); ++i) {
      const std::uint64_t s = moduli_.values[i];
      const std::uint64_t half = (s + 1) / 2;  // the inverse of 2 modulo odd s
      if (i < moduli_.sieve_primes) {
        for (std::uint64_t j = (s - res_[i]) % s * half % s; j < kWindow; j += s) sieved_[j] = 1;
      }
      if (i == moduli_.e_index) {
        for (std::uint64_t j = (1 + s - res_[i]) % s * half % s; j < kWindow; j += s) sieved_[j] = 1;
      }
    }
  }

  const Moduli& moduli_;
  unsigned prime_bits_;
  BignumPtr base_{BN_new()};
  std::vector<std::uint32_t> res_;
  std::vector<std::uint8_t> sieved_;
  unsigned j_ = 0;
  std::uint64_t windows_ = 0;
};

// The prime search of one derivation: reads the stream, keeps the spec's parameters.
class PrimeSearch {
 public:
  PrimeSearch(KeyStream& stream, const RsaKeySpec& spec, RsaDerivationStats& stats)
      : stream_(stream), prime_bits_(spec.bits / 2), moduli_(moduli_for(spec.public_exponent)), stats_(stats) {
    // FIPS 186-5 Table B.1 (FIPS 186-4 Table C.3 for 512-bit primes): see the header.
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
    CandidateWalk walk(moduli_, prime_bits_);
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

  KeyStream& stream_;
  unsigned prime_bits_;
  unsigned rounds_ = 0;
  bool paired_ = false;
  const Moduli& moduli_;
  BN_CTX* ctx_ = nullptr;  // the thread's BN_CTX, set by next_prime
  RsaDerivationStats& stats_;
};

}  // namespace

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

bool KeyStream::read(std::span<std::uint8_t> out) {
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

BignumPtr next_rsa_prime(KeyStream& stream, const RsaKeySpec& spec, RsaDerivationStats& stats) {
  PrimeSearch search(stream, spec, stats);
  return search.next_prime();
}

}  // namespace mitmlab::rsa_derivation
