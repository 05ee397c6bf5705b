// Human-readable summaries of certificate fields, for `mitmlab forge --explain`: what the
// forger kept, what it changed, side by side.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "net/openssl.h"

namespace mitmlab {

// (field, value) rows in a fixed order: subject, subjectAltName, issuer, serial, notBefore,
// notAfter, key, signature, extensions.
std::vector<std::pair<std::string, std::string>> describe_certificate(const X509& cert);

// A two-column table of `original` vs `forged`, one row per field, each row marked
// "same" or "changed".
std::string explain_forgery(const X509& original, const X509& forged);

}  // namespace mitmlab
