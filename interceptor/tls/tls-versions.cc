#include "interceptor/tls/tls-versions.h"

#include "net/client-hello.h"

namespace mitmlab {

Status set_version_range(SSL_CTX* ctx, std::uint16_t min_version, std::uint16_t max_version) {
  // SSL 3.0 and below are out of scope (no 2019 client or server of interest spoke it).
  auto known = [](std::uint16_t v) { return v >= kTls10 && v <= kTls13; };
  if (!known(min_version)) return make_error("unsupported minimum version 0x{:04x}", min_version);
  if (!known(max_version)) return make_error("unsupported maximum version 0x{:04x}", max_version);
  if (min_version > max_version)
    return make_error("minimum version 0x{:04x} above maximum 0x{:04x}", min_version, max_version);
  // OpenSSL's TLS1_x_VERSION constants are the wire values.
  if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, max_version) != 1)
    return openssl_error("version range refused");
  return Ok{};
}

}  // namespace mitmlab
