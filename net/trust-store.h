// Whether a chain as a server sent it validates to a set of trusted roots at a calendar time
// passed in (never the OS clock), as a browser would check a TLS server certificate; the
// hostname is not checked (facts.md §1: the 2019 box forged for any browser-trusted server,
// whatever the SNI named, and a scan must judge the same property).
// Shared by the scanner's verdicts and the interceptor's origin judge
// (interceptor/tls/origin-certificate-judge.h), which ask the same question.
#pragma once

#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/bytes.h"
#include "net/openssl.h"
#include "net/result.h"

namespace mitmlab {

struct ChainValidation {
  bool trusted = false;
  int code = -1;       // X509_V_* (0 when trusted), -1 when the chain could not be read
  std::string reason;  // "self-signed certificate", "unable to get local issuer certificate", ...
  int depth = 0;       // the chain position the failure concerns (0: leaf)
};

class TrustStore {
 public:
  // Roots from PEM (a CA bundle); an error if there are none or a block does not parse.
  static Result<std::shared_ptr<const TrustStore>> from_pem(std::string_view pem);
  // Each root gets its own reference.
  static Result<std::shared_ptr<const TrustStore>> from_roots(
      const std::vector<const X509*>& roots);

  // Leaf first, as sent; the rest are untrusted intermediates. Bad DER is untrusted, never an
  // error.
  ChainValidation validate(const std::vector<Bytes>& chain_der, std::time_t at) const;
  // The same for certificates already parsed (a null one is unreadable): a scanner that kept
  // OpenSSL's own parse from the handshake does not decode the chain again.
  ChainValidation validate(const std::vector<X509*>& chain, std::time_t at) const;
  std::size_t size() const { return size_; }

 private:
  TrustStore(X509StorePtr store, std::size_t n) : store_(std::move(store)), size_(n) {}
  // Shared by concurrent validate() calls only for reading, which OpenSSL allows.
  X509StorePtr store_;
  std::size_t size_ = 0;
};

// Every certificate in a PEM text; an error on a broken block or when there is none.
Result<std::vector<X509Ptr>> certificates_from_pem(std::string_view pem);

}  // namespace mitmlab
