#include "interceptor/forge/certificate-builder.h"

#include <openssl/evp.h>
#include <openssl/x509v3.h>

namespace mitmlab {

Result<X509NamePtr> build_name(const std::vector<NameAttribute>& attributes) {
  X509NamePtr name(X509_NAME_new());
  if (!name) return openssl_error("cannot allocate X509_NAME");
  for (const auto& a : attributes) {
    // A plain type (not an MBSTRING_* flag) makes OpenSSL store the bytes with exactly that
    // type instead of choosing one, which is what keeps PrintableString PrintableString.
    if (X509_NAME_add_entry_by_NID(name.get(), a.nid, a.asn1_type,
                                   reinterpret_cast<const unsigned char*>(a.value.data()),
                                   static_cast<int>(a.value.size()), -1, 0) != 1)
      return openssl_error(fmt::format("cannot add name attribute '{}'", a.value));
  }
  return name;
}

Result<Asn1TimePtr> make_time(std::int64_t unix_seconds) {
  // ASN1_TIME_adj chooses UTCTime for 1950..2049 and GeneralizedTime otherwise.
  Asn1TimePtr t(ASN1_TIME_adj(nullptr, static_cast<time_t>(unix_seconds), 0, 0));
  if (!t) return openssl_error(fmt::format("cannot encode time {}", unix_seconds));
  return t;
}

Result<std::int64_t> time_to_unix(const ASN1_TIME& time) {
  Asn1TimePtr epoch(ASN1_TIME_set(nullptr, 0));
  int days = 0, seconds = 0;
  if (!epoch || ASN1_TIME_diff(&days, &seconds, epoch.get(), &time) != 1)
    return openssl_error("cannot read certificate time");
  return static_cast<std::int64_t>(days) * 86400 + seconds;
}

Result<X509Ptr> new_certificate(const ASN1_INTEGER& serial, const X509_NAME& issuer,
                                const X509_NAME& subject, const ASN1_TIME& not_before,
                                const ASN1_TIME& not_after, EVP_PKEY& public_key) {
  X509Ptr cert(X509_new());
  if (!cert) return openssl_error("cannot allocate X509");
  // The setters copy their arguments; the names are copied as parsed, so their DER
  // encoding (string types included) is carried over byte for byte.
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(cert.get(), const_cast<ASN1_INTEGER*>(&serial)) != 1 ||
      X509_set_issuer_name(cert.get(), &issuer) != 1 ||
      X509_set_subject_name(cert.get(), &subject) != 1 ||
      X509_set1_notBefore(cert.get(), &not_before) != 1 ||
      X509_set1_notAfter(cert.get(), &not_after) != 1 ||
      X509_set_pubkey(cert.get(), &public_key) != 1)
    return openssl_error("cannot fill certificate fields");
  return cert;
}

Result<Bytes> key_identifier(const X509& cert) {
  Bytes id(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  if (X509_pubkey_digest(&cert, EVP_sha1(), id.data(), &n) != 1)
    return openssl_error("cannot hash the subject public key");
  id.resize(n);
  return id;
}

Status append_basic_constraints(X509& cert, bool ca, bool critical) {
  BasicConstraintsPtr bc(BASIC_CONSTRAINTS_new());
  if (!bc) return openssl_error("cannot allocate basicConstraints");
  // CA:FALSE is the DEFAULT and so is omitted from the DER (an empty SEQUENCE).
  bc->ca = ca ? 0xFF : 0;
  if (X509_add1_ext_i2d(&cert, NID_basic_constraints, bc.get(), critical ? 1 : 0,
                        X509V3_ADD_APPEND) != 1)
    return openssl_error("cannot add basicConstraints");
  return Ok{};
}

Status append_key_usage(X509& cert, const std::vector<KeyUsageBit>& bits, bool critical) {
  Asn1BitStringPtr ku(ASN1_BIT_STRING_new());
  if (!ku) return openssl_error("cannot allocate keyUsage");
  for (auto bit : bits)
    if (ASN1_BIT_STRING_set_bit(ku.get(), static_cast<int>(bit), 1) != 1)
      return openssl_error("cannot set a keyUsage bit");
  // i2d of a BIT STRING trims trailing zero bits (DER named-bit rule), as the real ones do.
  if (X509_add1_ext_i2d(&cert, NID_key_usage, ku.get(), critical ? 1 : 0, X509V3_ADD_APPEND) != 1)
    return openssl_error("cannot add keyUsage");
  return Ok{};
}

Status append_subject_key_identifier(X509& cert, ByteView key_id) {
  Asn1OctetStringPtr ski(ASN1_OCTET_STRING_new());
  if (!ski || ASN1_OCTET_STRING_set(ski.get(), key_id.data(), static_cast<int>(key_id.size())) != 1)
    return openssl_error("cannot build subjectKeyIdentifier");
  if (X509_add1_ext_i2d(&cert, NID_subject_key_identifier, ski.get(), 0, X509V3_ADD_APPEND) != 1)
    return openssl_error("cannot add subjectKeyIdentifier");
  return Ok{};
}

Status append_authority_key_identifier(X509& cert, ByteView key_id, const X509_NAME* issuer_name,
                                       const ASN1_INTEGER* issuer_serial) {
  AuthorityKeyIdPtr aki(AUTHORITY_KEYID_new());
  if (!aki) return openssl_error("cannot allocate authorityKeyIdentifier");
  aki->keyid = ASN1_OCTET_STRING_new();
  if (!aki->keyid ||
      ASN1_OCTET_STRING_set(aki->keyid, key_id.data(), static_cast<int>(key_id.size())) != 1)
    return openssl_error("cannot set authorityKeyIdentifier keyid");
  if (issuer_name != nullptr && issuer_serial != nullptr) {
    // The AKI owns what it points at: hand it copies, released with it.
    GeneralNamesPtr names(GENERAL_NAMES_new());
    OpenSslPtr<GENERAL_NAME, GENERAL_NAME_free> dir(GENERAL_NAME_new());
    X509NamePtr name_copy(X509_NAME_dup(issuer_name));
    if (!names || !dir || !name_copy) return openssl_error("cannot copy the issuer name");
    GENERAL_NAME_set0_value(dir.get(), GEN_DIRNAME, name_copy.release());
    if (sk_GENERAL_NAME_push(names.get(), dir.get()) <= 0)
      return openssl_error("cannot build the AKI issuer");
    dir.release();
    aki->issuer = names.release();
    aki->serial = ASN1_INTEGER_dup(issuer_serial);
    if (!aki->serial) return openssl_error("cannot copy the issuer serial");
  }
  if (X509_add1_ext_i2d(&cert, NID_authority_key_identifier, aki.get(), 0, X509V3_ADD_APPEND) != 1)
    return openssl_error("cannot add authorityKeyIdentifier");
  return Ok{};
}

Status append_extended_key_usage(X509& cert, const std::vector<int>& purpose_nids) {
  ExtendedKeyUsagePtr eku(sk_ASN1_OBJECT_new_null());
  if (!eku) return openssl_error("cannot allocate extendedKeyUsage");
  for (int nid : purpose_nids) {
    // OBJ_nid2obj returns a static object; OBJ_dup makes it ours, then the stack's.
    OpenSslPtr<ASN1_OBJECT, ASN1_OBJECT_free> obj(OBJ_dup(OBJ_nid2obj(nid)));
    if (!obj || sk_ASN1_OBJECT_push(eku.get(), obj.get()) <= 0)
      return openssl_error("cannot build extendedKeyUsage");
    obj.release();  // the stack owns it now
  }
  if (X509_add1_ext_i2d(&cert, NID_ext_key_usage, eku.get(), 0, X509V3_ADD_APPEND) != 1)
    return openssl_error("cannot add extendedKeyUsage");
  return Ok{};
}

Status append_raw_extension(X509& cert, int nid, const ASN1_OCTET_STRING& value_der) {
  X509ExtensionPtr ext(X509_EXTENSION_create_by_NID(nullptr, nid, 0,
                                                     const_cast<ASN1_OCTET_STRING*>(&value_der)));
  if (!ext || X509_add_ext(&cert, ext.get(), -1) != 1)
    return openssl_error("cannot copy an extension");
  return Ok{};
}

Status sign_sha256(X509& cert, EVP_PKEY& key) {
  if (X509_sign(&cert, &key, EVP_sha256()) <= 0) return openssl_error("cannot sign certificate");
  return Ok{};
}

}  // namespace mitmlab
