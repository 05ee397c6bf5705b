// Small steps for writing X.509 certificates field by field, shared by the fake authority
// and the forger. Each extension is appended, so callers decide the order by call order
// (the Qaznet certificates' order is part of what the look-alikes must reproduce).
#pragma once

#include <cstdint>
#include <vector>

#include <openssl/x509.h>

#include "interceptor/forge/forging-profile.h"
#include "net/bytes.h"
#include "net/openssl.h"
#include "net/result.h"

namespace mitmlab {

// An owning stack of ASN1_OBJECTs (the value of extendedKeyUsage).
struct Asn1ObjectStackDeleter {
  void operator()(STACK_OF(ASN1_OBJECT) * s) const { sk_ASN1_OBJECT_pop_free(s, ASN1_OBJECT_free); }
};
using ExtendedKeyUsagePtr = std::unique_ptr<STACK_OF(ASN1_OBJECT), Asn1ObjectStackDeleter>;
using Asn1BitStringPtr = OpenSslPtr<ASN1_BIT_STRING, ASN1_BIT_STRING_free>;

// A name whose attributes keep their declared ASN.1 string types.
Result<X509NamePtr> build_name(const std::vector<NameAttribute>& attributes);

// An ASN1_TIME for Unix seconds: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280).
Result<Asn1TimePtr> make_time(std::int64_t unix_seconds);

// Unix seconds of an ASN1_TIME (either encoding).
Result<std::int64_t> time_to_unix(const ASN1_TIME& time);

// A fresh X.509 v3 certificate holding serial, names, validity and public key.
Result<X509Ptr> new_certificate(const ASN1_INTEGER& serial, const X509_NAME& issuer,
                                const X509_NAME& subject, const ASN1_TIME& not_before,
                                const ASN1_TIME& not_after, EVP_PKEY& public_key);

// SHA-1 of the certificate's subjectPublicKey BIT STRING contents (RFC 5280 §4.2.1.2 method 1).
Result<Bytes> key_identifier(const X509& cert);

Status append_basic_constraints(X509& cert, bool ca, bool critical);
Status append_key_usage(X509& cert, const std::vector<KeyUsageBit>& bits, bool critical);
Status append_subject_key_identifier(X509& cert, ByteView key_id);
// keyid always; issuer name and serial only when `issuer_name` is non-null.
Status append_authority_key_identifier(X509& cert, ByteView key_id, const X509_NAME* issuer_name,
                                       const ASN1_INTEGER* issuer_serial);
Status append_extended_key_usage(X509& cert, const std::vector<int>& purpose_nids);
// A non-critical extension whose value is exactly `value_der` (used to copy subjectAltName).
Status append_raw_extension(X509& cert, int nid, const ASN1_OCTET_STRING& value_der);

// sha256WithRSAEncryption (RSASSA-PKCS1-v1_5: deterministic, so same key, same bytes).
Status sign_sha256(X509& cert, EVP_PKEY& key);

}  // namespace mitmlab
