// Whether an origin server's chain is browser-trusted (facts.md §1, condition 3): the 2019
// box only intercepted servers whose certificate a browser would accept. The judgement is
// made against a fixed trust store at a calendar time passed in (the scenario's clock, not
// the OS clock), so the same chain gets the same verdict in every run. The hostname is not
// checked: the certificate need not be for the SNI's name (facts §1: SNI facebook.com to a
// bank's server yields a forgery of the bank's certificate).
#pragma once

#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/bytes.h"
#include "net/openssl.h"
#include "net/result.h"
#include "net/trust-store.h"

namespace mitmlab {

struct OriginVerdict {
  bool trusted = false;
  // OpenSSL's X509_V_* code (0 when trusted, -1 when the chain could not be read) and its
  // text: "self-signed certificate", "certificate has expired", "unable to get local
  // issuer certificate", ...
  int code = 0;
  std::string reason;
  int depth = 0;  // the chain position OpenSSL complained about (0: leaf)
};

class OriginCertificateJudge {
 public:
  // Roots from one or more PEM certificates (a CA bundle); an error if there are none or a
  // block does not parse.
  static Result<OriginCertificateJudge> from_pem(std::string_view pem_roots);
  // Roots from certificates already loaded (each gets a new reference).
  static Result<OriginCertificateJudge> from_roots(const std::vector<const X509*>& roots);

  // `chain_der`: the certificates as the server sent them, leaf first (OriginClient::
  // server_chain_der()). The leaf is checked as a TLS server certificate (serverAuth);
  // the rest are untrusted intermediates; only the roots given above are trusted.
  // Unreadable DER or an empty chain is untrusted, never an error: it came off the wire.
  OriginVerdict judge(const std::vector<Bytes>& chain_der, std::time_t at) const;

  std::size_t root_count() const { return store_->size(); }

 private:
  explicit OriginCertificateJudge(std::shared_ptr<const TrustStore> store) : store_(std::move(store)) {}

  // The validation itself is net/'s TrustStore, shared with the scanner's verdicts.
  std::shared_ptr<const TrustStore> store_;
};

}  // namespace mitmlab
