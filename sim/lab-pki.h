// A throwaway certificate authority and leaf certificates for tests and benchmarks, built in memory.
// Keys are EC P-256 (fast to generate); with a SeededRandomGuard installed first, the
// keys, signatures and therefore the DER bytes are the same on every run.
#pragma once

#include <string>
#include <vector>

#include "net/openssl.h"
#include "sim/tls-credentials.h"

namespace mitmlab {

struct TestCa {
  X509Ptr cert;
  EvpPkeyPtr key;
};

// A self-signed CA valid 2019-01-01 .. 2049-01-01 (fixed dates: no wall clock in the bytes).
TestCa make_test_ca(const std::string& common_name);

// A leaf for `names` (first one is the CN, all are DNS SANs), signed by `ca`.
TlsCredentialsPtr make_test_leaf(const TestCa& ca, const std::vector<std::string>& names,
                                 long serial);

// A trust store holding only `ca`.
X509StorePtr make_trust_store(const TestCa& ca);

}  // namespace mitmlab
