// The serial rules on chosen draws: exact values, carries, the 20-byte limit, bad originals.
#define BOOST_TEST_MODULE forged_serial
#include <boost/test/unit_test.hpp>

#include <string>

#include "interceptor/forge/forged-serial.h"

using namespace mitmlab;

namespace {

Asn1IntegerPtr from_hex(const std::string& hex, bool negative = false) {
  BIGNUM* raw = nullptr;
  BOOST_TEST_REQUIRE(BN_hex2bn(&raw, hex.c_str()) > 0);
  BignumPtr bn(raw);
  BN_set_negative(bn.get(), negative ? 1 : 0);
  Asn1IntegerPtr out(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  BOOST_TEST_REQUIRE(out.get() != nullptr);
  return out;
}

std::string to_hex_string(const ASN1_INTEGER& v) {
  BignumPtr bn(ASN1_INTEGER_to_BN(&v, nullptr));
  OpenSslPtr<char, [](char* p) { OPENSSL_free(p); }> hex(BN_bn2hex(bn.get()));
  return hex.get();
}

std::string forge_hex(const std::string& original, SerialRule rule, std::uint64_t draw,
                      bool negative = false) {
  auto out = forge_serial(*from_hex(original, negative), rule, draw);
  BOOST_TEST_REQUIRE(out.ok());
  return to_hex_string(**out);
}

}  // namespace

BOOST_AUTO_TEST_CASE(add_uses_a_value_from_1_to_2_to_32_minus_1) {
  // d = draw mod (2^32 - 1) + 1
  BOOST_TEST(forge_hex("1000", SerialRule::kAddBelow2To32, 0) == "1001");
  BOOST_TEST(forge_hex("1000", SerialRule::kAddBelow2To32, 0xFFFFFFFEull) == "0100000FFF");
  BOOST_TEST(forge_hex("1000", SerialRule::kAddBelow2To32, 0xFFFFFFFFull) == "1001");
}

BOOST_AUTO_TEST_CASE(add_carries_into_higher_bytes) {
  BOOST_TEST(forge_hex("12345678FFFFFFFFFF", SerialRule::kAddBelow2To32, 0) == "123456790000000000");
}

BOOST_AUTO_TEST_CASE(add_that_would_exceed_20_bytes_subtracts_instead) {
  const std::string max20 = "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF";
  BOOST_TEST(forge_hex(max20, SerialRule::kAddBelow2To32, 0) ==
             "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE");
  auto out = forge_serial(*from_hex(max20), SerialRule::kAddBelow2To32, 12345);
  BOOST_TEST_REQUIRE(out.ok());
  BOOST_TEST(ASN1_STRING_length(out->get()) == 20);
}

BOOST_AUTO_TEST_CASE(replace_low_32_bits_keeps_the_rest) {
  BOOST_TEST(forge_hex("AABBCCDD11223344", SerialRule::kReplaceLow32Bits, 0x9999000055667788ull) ==
             "AABBCCDD55667788");
  // A draw equal to the old low bits still changes them.
  BOOST_TEST(forge_hex("AABBCCDD11223344", SerialRule::kReplaceLow32Bits, 0x11223344ull) ==
             "AABBCCDD11223345");
}

BOOST_AUTO_TEST_CASE(replace_low_33_bits_keeps_the_rest) {
  // Bit 32 of the original (the 1 in ...DD 1 1223344 counting from the right) is replaced too.
  BOOST_TEST(forge_hex("AABBCCDD11223344", SerialRule::kReplaceLow33Bits, 0x0000000055667788ull) ==
             "AABBCCDC55667788");
  BOOST_TEST(forge_hex("AABBCCDC11223344", SerialRule::kReplaceLow33Bits, 0x0000000155667788ull) ==
             "AABBCCDD55667788");
}

BOOST_AUTO_TEST_CASE(replace_never_yields_zero_or_the_same_serial) {
  BOOST_TEST(forge_hex("05", SerialRule::kReplaceLow32Bits, 0) == "01");
  BOOST_TEST(forge_hex("01", SerialRule::kReplaceLow32Bits, 0) == "02");
  BOOST_TEST(forge_hex("05", SerialRule::kReplaceLow32Bits, 5) == "04");
}

BOOST_AUTO_TEST_CASE(negative_and_zero_originals_use_the_magnitude) {
  BOOST_TEST(forge_hex("1000", SerialRule::kAddBelow2To32, 0, true) == "1001");
  BOOST_TEST(forge_hex("00", SerialRule::kAddBelow2To32, 6) == "07");
}
