#include "interceptor/tls/origin-hello-profile.h"

namespace mitmlab {

Result<OriginHelloProfile> origin_hello_profile(std::string_view name) {
  if (name == "kz-2019") return OriginHelloProfile{};
  if (name == "openssl-default") {
    OriginHelloProfile p;
    p.name = "openssl-default";
    p.min_version = kTls12;
    p.max_version = kTls13;
    p.cipher_list.clear();
    p.groups.clear();
    p.signature_algorithms.clear();
    p.extended_master_secret = true;
    p.encrypt_then_mac = true;
    p.allow_legacy_servers = false;
    p.security_level = 1;  // OpenSSL's compiled-in default
    return p;
  }
  return make_error("unknown origin hello profile '{}' (known: kz-2019, openssl-default)", name);
}

}  // namespace mitmlab
