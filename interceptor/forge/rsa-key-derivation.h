// RSA keys derived deterministically from a seed, so that forged certificates and the
// fake authority are byte-identical across runs and machines. OpenSSL's own random key
// generation never decides a result.
#pragma once

#include "net/bytes.h"
#include "net/openssl.h"
#include "net/result.h"

namespace mitmlab {

struct RsaKeySpec {
  unsigned bits = 2048;
  unsigned long public_exponent = 65537;
};

// Same (seed, spec) gives the same key on every machine; different seeds give different keys.
// `seed` is any byte string: callers mix the scenario seed with a label (e.g. "root",
// or the SHA-256 of an original certificate).
Result<EvpPkeyPtr> derive_rsa_key(ByteView seed, const RsaKeySpec& spec);

}  // namespace mitmlab
