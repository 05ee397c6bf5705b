#include "interceptor/forge/forged-serial.h"

#include <openssl/bn.h>

namespace mitmlab {

namespace {

// RFC 5280: serials are at most 20 octets; a positive INTEGER of 160 bits needs a 21st.
constexpr int kMaxSerialBits = 159;

Result<BignumPtr> add_below_2_to_32(const BIGNUM& original, std::uint64_t draw) {
  const std::uint64_t d = draw % 0xFFFFFFFFull + 1;  // 1 .. 2^32 - 1
  BignumPtr out(BN_dup(&original));
  if (!out || BN_add_word(out.get(), d) != 1) return openssl_error("serial: add");
  if (BN_num_bits(out.get()) > kMaxSerialBits) {
    if (BN_copy(out.get(), &original) == nullptr || BN_sub_word(out.get(), d) != 1)
      return openssl_error("serial: subtract");
  }
  return out;
}

Result<BignumPtr> replace_low_bits(const BIGNUM& original, int bits, std::uint64_t draw) {
  const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
  BignumPtr low(BN_dup(&original));
  BignumPtr high(BN_dup(&original));
  if (!low || !high) return openssl_error("serial: copy");
  // BN_mask_bits fails on a number already shorter than `bits`, which needs no masking.
  if (BN_num_bits(low.get()) > bits && BN_mask_bits(low.get(), bits) != 1)
    return openssl_error("serial: mask");
  if (BN_rshift(high.get(), high.get(), bits) != 1) return openssl_error("serial: shift");
  std::uint64_t old_low = 0;
  for (int i = bits - 1; i >= 0; --i) old_low = (old_low << 1) | (BN_is_bit_set(low.get(), i) ? 1u : 0u);
  std::uint64_t new_low = draw & mask;
  if (new_low == old_low) new_low ^= 1;
  if (BN_is_zero(high.get()) && new_low == 0) new_low = old_low == 1 ? 2 : 1;
  BignumPtr out(BN_new());
  BignumPtr low_bn(BN_new());
  if (!out || !low_bn || BN_lshift(out.get(), high.get(), bits) != 1 ||
      BN_set_word(low_bn.get(), new_low) != 1 || BN_add(out.get(), out.get(), low_bn.get()) != 1)
    return openssl_error("serial: combine");
  return out;
}

}  // namespace

Result<Asn1IntegerPtr> forge_serial(const ASN1_INTEGER& original, SerialRule rule,
                                    std::uint64_t draw) {
  BignumPtr value(ASN1_INTEGER_to_BN(&original, nullptr));
  if (!value) return openssl_error("serial: cannot read the original serial");
  BN_set_negative(value.get(), 0);  // forge from the magnitude (see the header)
  Result<BignumPtr> forged = Error{};
  switch (rule) {
    case SerialRule::kAddBelow2To32: forged = add_below_2_to_32(*value, draw); break;
    case SerialRule::kReplaceLow32Bits: forged = replace_low_bits(*value, 32, draw); break;
    case SerialRule::kReplaceLow33Bits: forged = replace_low_bits(*value, 33, draw); break;
  }
  if (!forged) return forged.error();
  Asn1IntegerPtr out(BN_to_ASN1_INTEGER(forged->get(), nullptr));
  if (!out) return openssl_error("serial: cannot encode");
  return out;
}

}  // namespace mitmlab
