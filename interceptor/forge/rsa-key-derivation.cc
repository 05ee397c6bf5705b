// Deterministic RSA key derivation: the key from two primes of the construction documented
// in the header. The stream and the prime search live in rsa-prime-search.cc.
#include "interceptor/forge/rsa-key-derivation.h"

#include <utility>

#include <openssl/core_names.h>

#include "interceptor/forge/rsa-prime-search.h"

namespace mitmlab {
namespace {

using rsa_derivation::Digest;

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
  rsa_derivation::put_u32(header, spec.bits);
  rsa_derivation::put_u64(header, spec.public_exponent);
  rsa_derivation::put_u64(header, seed.size());
  Digest key;
  if (!rsa_derivation::sha256({header, seed}, key)) return openssl_error("derive_rsa_key: SHA-256 failed");

  thread_local BnCtxPtr ctx(BN_CTX_new());
  BignumPtr e(BN_new()), p1(BN_new()), q1(BN_new()), g(BN_new()), lcm(BN_new()), d(BN_new()), diff(BN_new()),
      n(BN_new()), dmp1(BN_new()), dmq1(BN_new()), iqmp(BN_new());
  if (!ctx || !e || !p1 || !q1 || !g || !lcm || !d || !diff || !n || !dmp1 || !dmq1 || !iqmp ||
      !BN_set_word(e.get(), spec.public_exponent)) {
    return openssl_error("derive_rsa_key: out of memory");
  }
  const unsigned k = spec.bits / 2;
  rsa_derivation::KeyStream stream(key);
  BignumPtr p = rsa_derivation::next_rsa_prime(stream, spec, st);
  if (!p || !BN_sub(p1.get(), p.get(), BN_value_one())) return openssl_error("derive_rsa_key: prime search failed");

  BignumPtr q;
  for (;;) {
    q = rsa_derivation::next_rsa_prime(stream, spec, st);
    if (!q || !BN_sub(q1.get(), q.get(), BN_value_one())) return openssl_error("derive_rsa_key: prime search failed");
    // |p - q| >= 2^(k-100): p and q must not share their top bits (Fermat factoring).
    if (!BN_sub(diff.get(), p.get(), q.get())) return openssl_error("derive_rsa_key: BN_sub failed");
    BN_set_negative(diff.get(), 0);
    if (BN_num_bits(diff.get()) <= static_cast<int>(k) - 100) continue;
    // d = e^-1 mod lcm(p-1, q-1); it exists since p, q != 1 mod e and e is prime.
    if (!BN_gcd(g.get(), p1.get(), q1.get(), ctx.get()) || !BN_mul(lcm.get(), p1.get(), q1.get(), ctx.get()) ||
        !BN_div(lcm.get(), nullptr, lcm.get(), g.get(), ctx.get()) ||
        !BN_mod_inverse(d.get(), e.get(), lcm.get(), ctx.get())) {
      return openssl_error("derive_rsa_key: computing d failed");
    }
    // d >= 2^(bits/2): a small d would expose the key (Wiener, Boneh-Durfee).
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
