#include "interceptor/forge/certificate-description.h"

#include <algorithm>

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/x509v3.h>

namespace mitmlab {

namespace {

std::string name_text(const X509_NAME* name) {
  if (name == nullptr) return "(none)";
  BioPtr bio(BIO_new(BIO_s_mem()));
  // RFC 2253 order reversed to the familiar "C=KZ, CN=..." reading order, UTF-8 kept.
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) < 0)
    return "(unprintable)";
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string time_text(const ASN1_TIME* t) {
  if (t == nullptr) return "(none)";
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || ASN1_TIME_print_ex(bio.get(), t, ASN1_DTFLGS_ISO8601) != 1) return "(unprintable)";
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  const char* encoding = ASN1_STRING_type(t) == V_ASN1_UTCTIME ? "UTCTime" : "GeneralizedTime";
  return fmt::format("{} ({})", std::string(data, static_cast<std::size_t>(n)), encoding);
}

std::string serial_text(const ASN1_INTEGER* serial) {
  if (serial == nullptr) return "(none)";
  BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) return "(unreadable)";
  OpenSslPtr<char, [](char* p) { OPENSSL_free(p); }> hex(BN_bn2hex(bn.get()));
  return hex ? fmt::format("{} ({} bytes)", hex.get(), ASN1_STRING_length(serial)) : "(unreadable)";
}

std::string san_text(const X509& cert) {
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(&cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return "(none)";
  std::string out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    int type = 0;
    const auto* value = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(gn, &type));
    if (!out.empty()) out += ", ";
    if (type == GEN_DNS && value != nullptr)
      out += "DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                                  static_cast<std::size_t>(ASN1_STRING_length(value)));
    else
      out += fmt::format("(type {})", type);
  }
  return out;
}

std::string key_text(const X509& cert) {
  EVP_PKEY* key = X509_get0_pubkey(&cert);
  if (key == nullptr) return "(unreadable)";
  const char* type = EVP_PKEY_get0_type_name(key);
  std::string text = fmt::format("{} {} bits", type ? type : "?", EVP_PKEY_get_bits(key));
  BIGNUM* e = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) == 1) {
    BignumPtr owned(e);
    OpenSslPtr<char, [](char* p) { OPENSSL_free(p); }> dec(BN_bn2dec(owned.get()));
    if (dec) text += fmt::format(", e={}", dec.get());
  }
  return text;
}

std::string extensions_text(const X509& cert) {
  std::string out;
  for (int i = 0; i < X509_get_ext_count(&cert); ++i) {
    X509_EXTENSION* ext = X509_get_ext(&cert, i);
    int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
    const char* sn = nid != NID_undef ? OBJ_nid2sn(nid) : nullptr;
    if (!out.empty()) out += ", ";
    out += sn ? sn : "unknown";
    if (X509_EXTENSION_get_critical(ext)) out += "(critical)";
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> describe_certificate(const X509& cert) {
  const int sig_nid = X509_get_signature_nid(&cert);
  return {
      {"subject", name_text(X509_get_subject_name(&cert))},
      {"subjectAltName", san_text(cert)},
      {"issuer", name_text(X509_get_issuer_name(&cert))},
      {"serial", serial_text(X509_get0_serialNumber(&cert))},
      {"notBefore", time_text(X509_get0_notBefore(&cert))},
      {"notAfter", time_text(X509_get0_notAfter(&cert))},
      {"key", key_text(cert)},
      {"signature", sig_nid != NID_undef ? OBJ_nid2ln(sig_nid) : "unknown"},
      {"extensions", extensions_text(cert)},
  };
}

std::string explain_forgery(const X509& original, const X509& forged) {
  const auto left = describe_certificate(original);
  const auto right = describe_certificate(forged);
  std::size_t field_width = 5;
  for (const auto& [field, value] : left) field_width = std::max(field_width, field.size());
  std::string out;
  // Values can be long (SAN lists, extension lists): one field per block, original above
  // forgery, so the table stays readable in an 80-column terminal.
  for (std::size_t i = 0; i < left.size() && i < right.size(); ++i) {
    const bool same = left[i].second == right[i].second;
    out += fmt::format("{:<{}}  [{}]\n", left[i].first, field_width, same ? "same" : "changed");
    out += fmt::format("  original: {}\n", left[i].second);
    out += fmt::format("  forged:   {}\n", right[i].second);
  }
  return out;
}

}  // namespace mitmlab
