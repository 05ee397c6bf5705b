// The certificate authorities known to have intercepted TLS in Kazakhstan, and the check that
// names one of them in a chain a server sent. The 2019 authors counted a host as intercepted
// when its chain mentioned "Qaznet Trust Network" (facts.md §7); this is that test, made
// precise:
//  - genuine: a certificate in the chain has the real Qaznet root's or intermediate's subject
//    AND public key, or names one as issuer and is signed by its real key (the real
//    certificates are embedded below: the binary needs no fixture files);
//  - by name: a subject or issuer name equals a known authority's name (X509_NAME_cmp: the
//    canonical form, so case and string type do not matter) without the real key. In this
//    testbed that is mitmlab's own look-alike CA (interceptor/forge), which copies the names
//    and mints its own keys. Names: qaznet-2019 C=KZ, CN=Qaznet Trust Network (root) and
//    C=KZ, CN=Security Certificate (intermediate); isca-2020 C=KZ, O=ISCA,
//    CN=Information Security Certification Authority CA (published) and C=KZ, O=ISCA,
//    CN=ISCA Intermediate CA (mitmlab's assumed intermediate; the real ones are unknown).
// A genuine match anywhere in the chain wins over a name match.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/bytes.h"
#include "net/openssl.h"

namespace mitmlab {

struct Attribution {
  std::string authority;  // "qaznet-2019", "isca-2020"
  bool genuine = false;   // the real authority's key, not only its name
  // "qaznet-2019 (real)", "qaznet-2019 (mitmlab look-alike)", "isca-2020 (mitmlab look-alike)"
  std::string label;
  std::size_t depth = 0;  // chain position of the certificate that matched (0: leaf)
  std::string field;      // "subject" or "issuer"
  std::string name;       // the matched name, one line ("C=KZ, CN=Security Certificate")
};

// Checks every certificate of `chain_der` (leaf first, as sent; unreadable ones are skipped).
std::optional<Attribution> attribute(const std::vector<Bytes>& chain_der);
// The same for certificates already parsed (null ones are skipped).
std::optional<Attribution> attribute_certificates(const std::vector<X509*>& chain);

// The real 2019 certificates, PEM, as published (tests/fixtures/certs/qaznet-*.pem).
std::string_view qaznet_root_pem();
std::string_view qaznet_intermediate_pem();

}  // namespace mitmlab
