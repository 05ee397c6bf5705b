#include "scanner/certificate-summary.h"

namespace mitmlab {

std::string one_line_name(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || !name) return "";
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : "";
}

std::optional<CertificateSummary> summarize_certificate(ByteView der) {
  auto cert = x509_from_der(der);
  if (!cert) return std::nullopt;
  return summarize_certificate(cert->get());
}

CertificateSummary summarize_certificate(const X509* cert) {
  CertificateSummary s;
  s.subject = one_line_name(X509_get_subject_name(cert));
  s.issuer = one_line_name(X509_get_issuer_name(cert));
  s.sha256 = to_hex(x509_sha256(cert));
  return s;
}

}  // namespace mitmlab
