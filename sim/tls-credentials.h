// A certificate chain and its private key, as a TLS server presents it.
#pragma once

#include <memory>
#include <vector>

#include "net/openssl.h"

namespace mitmlab {

struct TlsCredentials {
  X509Ptr leaf;
  std::vector<X509Ptr> intermediates;  // sent after the leaf, in this order
  EvpPkeyPtr key;
};

// Shared because many connections (and many server applications) present the same chain.
using TlsCredentialsPtr = std::shared_ptr<const TlsCredentials>;

}  // namespace mitmlab
