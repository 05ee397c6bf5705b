// Reading the original server certificates the forger works from: PEM or DER, one
// certificate or a chain (whose first certificate is the leaf).
#pragma once

#include <string>
#include <string_view>

#include "net/bytes.h"
#include "net/openssl.h"
#include "net/result.h"

namespace mitmlab {

// Parses `bytes` as a PEM file (the first CERTIFICATE block is the leaf; later blocks of
// a chain are ignored) or as one DER certificate. `source` names the input in errors
// ("bank.pem: no certificate found (empty file)").
Result<X509Ptr> parse_certificate(ByteView bytes, std::string_view source);

// Reads and parses a certificate file; every error names the file and what was wrong.
Result<X509Ptr> load_certificate_file(const std::string& path);

}  // namespace mitmlab
