// An OpenSSL library context for TLS clients that read many certificates (the scanner's
// probes), where parsing them is a large share of the work.
//
// Why: OpenSSL 3.0 decodes each certificate's public key by assembling a decoder chain from
// every decoder its library context offers (the default provider has ~40: private keys,
// PEM, MSBLOB, PVK, ...), walking every method the context has fetched, anew for every
// certificate. In a full scenario run that was half of each probe's certificate parsing.
// This context's only provider hands out everything of the default provider (key exchange,
// signatures, key managers, digests, the TLS group capabilities) except decoders, of which
// it offers the ones a certificate's key needs (DER SubjectPublicKeyInfo), and ciphers, of
// which it offers the ones libssl can use (the default provider's other ~100 are not).
// Same handshakes, same bytes: randomness still comes from OpenSSL's RAND
// (net/seeded-random.h's method applies to every library context).
#pragma once

#include <openssl/types.h>

#include "net/result.h"

namespace mitmlab {

// The process-wide context, made on first use (thread-safe); never freed before exit.
Result<OSSL_LIB_CTX*> certificate_reading_context();

}  // namespace mitmlab
