// The scanner's ClientHello, as a named profile. A scan's verdict can depend on what the
// probe offers (a middlebox may only parse some hellos; an old server may only speak some
// suites), so the profile is explicit and reported with every record.
//
// "zgrab2-2019" (the default): what the 2019 authors' zgrab2 TLS handshakes looked like
// (facts.md §7), as far as OpenSSL 3 can say it. zgrab2 of 2019 spoke through zcrypto, a
// Go TLS fork without TLS 1.3; with no --cipher-suite flag it offered zcrypto's long
// default list. Assumption, documented because the authors did not publish their hello:
//   legacy_version 0x0303, no supported_versions (TLS 1.2 at most), TLS 1.0 at least;
//   33 suites in zcrypto's implementedCipherSuites order (zmap/zcrypto tls/cipher_suites.go):
//     ECDHE x {ECDSA,RSA} x {CHACHA20-POLY1305, AES-GCM, AES-CBC-SHA256/384, AES-CBC-SHA},
//     DHE-RSA x {CHACHA20, GCM, CBC-SHA256, CBC-SHA}, RSA x {GCM, CBC-SHA256, CBC-SHA},
//     DHE-DSS x {CBC-SHA, CBC-SHA256, GCM}; plus the renegotiation SCSV OpenSSL appends.
//   zcrypto also offered RC4, 3DES and export suites; this OpenSSL 3 build provides none of
//   them, so they are left out (a server that speaks only RC4 fails here; rare by 2019).
//   groups P-256, P-384, P-521 (zcrypto's defaultCurvePreferences); OpenSSL's default
//   signature algorithms; no session_ticket, extended_master_secret, ALPN or heartbeat
//   (zgrab2 sent each only with its own flag: --session-ticket, --extended-master-secret,
//   --heartbleed). Security level 0: zgrab2 completed handshakes with 1024-bit DH and
//   SHA-1 servers, and a scan must reach the same long tail.
// "openssl-default": OpenSSL 3's own client hello, TLS 1.3 included (a modern client).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/client-hello.h"
#include "net/openssl.h"
#include "net/result.h"

namespace mitmlab {

struct ProbeHelloProfile {
  std::string name = "zgrab2-2019";
  std::uint16_t min_version = kTls10;
  std::uint16_t max_version = kTls12;
  // OpenSSL cipher names, ':'-separated, sent in this order; "" = OpenSSL's default list.
  std::string cipher_list =
      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
      "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:"
      "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:"
      "ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA256:"
      "ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA:"
      "ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA384:"
      "ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES256-SHA:"
      "DHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"
      "DHE-RSA-AES128-SHA256:DHE-RSA-AES256-SHA256:DHE-RSA-AES128-SHA:DHE-RSA-AES256-SHA:"
      "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:AES256-SHA256:AES128-SHA:AES256-SHA:"
      "DHE-DSS-AES128-SHA:DHE-DSS-AES256-SHA:DHE-DSS-AES128-SHA256:DHE-DSS-AES256-SHA256:"
      "DHE-DSS-AES128-GCM-SHA256:DHE-DSS-AES256-GCM-SHA384";
  // SSL_CTX_set1_groups_list syntax; "" = OpenSSL's default.
  std::string groups = "P-256:P-384:P-521";
  bool session_ticket = false;
  bool extended_master_secret = false;
  bool encrypt_then_mac = false;
  int security_level = 0;
};

// "zgrab2-2019" (the default above) or "openssl-default"; an error names the known ones.
Result<ProbeHelloProfile> probe_hello_profile(std::string_view name);

// A client SSL_CTX speaking `profile`, without verification (the probe collects the chain;
// the scan judges it later at a calendar time it is given).
Result<SslCtxPtr> make_probe_context(const ProbeHelloProfile& profile);

}  // namespace mitmlab
