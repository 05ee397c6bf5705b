#include "scanner/probe-hello-profile.h"
#include "net/certificate-reading-context.h"
#include "net/key-log.h"

namespace mitmlab {

Result<ProbeHelloProfile> probe_hello_profile(std::string_view name) {
  if (name == "zgrab2-2019") return ProbeHelloProfile{};
  if (name == "openssl-default") {
    ProbeHelloProfile p;
    p.name = "openssl-default";
    p.min_version = kTls12;
    p.max_version = kTls13;
    p.cipher_list.clear();
    p.groups.clear();
    p.session_ticket = true;
    p.extended_master_secret = true;
    p.encrypt_then_mac = true;
    p.security_level = 1;  // OpenSSL's compiled-in default
    return p;
  }
  return make_error("unknown probe hello profile '{}' (known: zgrab2-2019, openssl-default)", name);
}

Result<SslCtxPtr> make_probe_context(const ProbeHelloProfile& p) {
  // Probes read thousands of certificates: in a library context that parses them faster.
  auto library = certificate_reading_context();
  if (!library) return library.error();
  SslCtxPtr ctx(SSL_CTX_new_ex(*library, nullptr, TLS_client_method()));
  if (!ctx) return openssl_error("probe: SSL_CTX_new");
  attach_key_log(ctx.get());
  // First: the level filters which suites may be offered.
  SSL_CTX_set_security_level(ctx.get(), p.security_level);
  if (p.min_version < kTls10 || p.max_version > kTls13 || p.min_version > p.max_version)
    return make_error("probe profile '{}': bad version range {:#06x}..{:#06x}", p.name,
                      p.min_version, p.max_version);
  if (SSL_CTX_set_min_proto_version(ctx.get(), p.min_version) != 1 ||
      SSL_CTX_set_max_proto_version(ctx.get(), p.max_version) != 1)
    return openssl_error("probe: version range refused");
  if (!p.cipher_list.empty() && SSL_CTX_set_cipher_list(ctx.get(), p.cipher_list.c_str()) != 1)
    return openssl_error("probe: cipher list refused: " + p.cipher_list);
  if (!p.groups.empty() && SSL_CTX_set1_groups_list(ctx.get(), p.groups.c_str()) != 1)
    return openssl_error("probe: groups refused: " + p.groups);
  std::uint64_t options = SSL_OP_NO_RENEGOTIATION | SSL_OP_LEGACY_SERVER_CONNECT;
  if (!p.session_ticket) options |= SSL_OP_NO_TICKET;
  if (!p.extended_master_secret) options |= SSL_OP_NO_EXTENDED_MASTER_SECRET;
  if (!p.encrypt_then_mac) options |= SSL_OP_NO_ENCRYPT_THEN_MAC;
  SSL_CTX_set_options(ctx.get(), options);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  return ctx;
}

}  // namespace mitmlab
