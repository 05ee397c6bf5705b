// The forged leaf's serial number, made from the original's by one of the SerialRules.
#pragma once

#include <cstdint>

#include <openssl/asn1.h>

#include "interceptor/forge/forging-profile.h"
#include "net/openssl.h"
#include "net/result.h"

namespace mitmlab {

// `draw` is a deterministic 64-bit value (the forger hashes seed, profile and original).
//
// Decisions (facts §3 leaves them open):
//  - A zero or negative original serial (malformed, but seen in the wild) is forged from its
//    magnitude, so the forgery's serial is always positive.
//  - kAddBelow2To32: d = draw mod (2^32 - 1) + 1, so 0 < d < 2^32. If original + d would
//    need more than 159 bits (a 21-octet INTEGER, over RFC 5280's 20), the forgery is
//    original - d instead: still only the low bits (and borrows) change, and it stays
//    within the original's length.
//  - kReplaceLow32Bits / kReplaceLow33Bits: the low bits become draw's low bits, changed
//    by one if they would equal the original's (a forgery never repeats the serial) and
//    never leaving a zero serial.
Result<Asn1IntegerPtr> forge_serial(const ASN1_INTEGER& original, SerialRule rule,
                                    std::uint64_t draw);

}  // namespace mitmlab
