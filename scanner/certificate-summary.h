// What a scan record says about a certificate: subject and issuer on one line, SHA-256.
#pragma once

#include <optional>
#include <string>

#include "net/bytes.h"
#include "net/openssl.h"

namespace mitmlab {

struct CertificateSummary {
  std::string subject;  // "C = KZ, CN = Security Certificate"
  std::string issuer;
  std::string sha256;  // of the DER, lower-case hex
};

// nullopt when the DER does not parse (it came off the wire).
std::optional<CertificateSummary> summarize_certificate(ByteView der);
CertificateSummary summarize_certificate(const X509* cert);

// OpenSSL's one-line form of a name, UTF-8 kept as is.
std::string one_line_name(const X509_NAME* name);

}  // namespace mitmlab
