// The ClientHello the box sends to origin servers, as a named profile. The 2019 box's hello
// reached servers with record version TLS 1.0, ClientHello version TLS 1.2 and 13 cipher
// suites, a fingerprint "virtually unseen" on the Internet (facts.md §5); its suites and
// extensions were never published, so "kz-2019" is an assumption built to match every
// published property with an OpenSSL-1.0.2-era configuration.
//
// "kz-2019" on the wire (OpenSSL 3 writes it; pinned by tests/origin-client-test.cc):
//   record version 0x0301 (OpenSSL always sends the first ClientHello so, for old servers)
//   legacy_version 0x0303, no supported_versions (TLS 1.2 at most)
//   13 cipher suites, in this order:
//     0xc02b ECDHE-ECDSA-AES128-GCM-SHA256   0xc02f ECDHE-RSA-AES128-GCM-SHA256
//     0xc02c ECDHE-ECDSA-AES256-GCM-SHA384   0xc030 ECDHE-RSA-AES256-GCM-SHA384
//     0xc009 ECDHE-ECDSA-AES128-SHA          0xc013 ECDHE-RSA-AES128-SHA
//     0xc00a ECDHE-ECDSA-AES256-SHA          0xc014 ECDHE-RSA-AES256-SHA
//     0x0033 DHE-RSA-AES128-SHA              0x0039 DHE-RSA-AES256-SHA
//     0x002f AES128-SHA                      0x0035 AES256-SHA
//     0x00ff TLS_EMPTY_RENEGOTIATION_INFO_SCSV
//   Why: forward-secret AEAD first, then CBC-SHA fallbacks (ECDHE, DHE, plain RSA) so that
//   2019's long tail of old bank and government servers still answers: the box had to reach
//   every browser-trusted server to fetch its certificate. OpenSSL 1.0.x (and 3) clients put
//   the SCSV at the end of an initial hello instead of a renegotiation_info extension, and a
//   server (or Wireshark) counts it: 12 configured suites + SCSV = the 13 that were seen.
//   DES-CBC3-SHA, common in 2019 lists, is not offered because this OpenSSL 3 build no
//   longer provides it; DHE-RSA-AES256-SHA takes its place.
//   extensions: server_name (when the engine passes an SNI), ec_point_formats (0-1-2),
//   supported_groups (P-256, P-384, P-521), session_ticket (empty: 1.0.2 sent it by
//   default), signature_algorithms (1.0.2's default list: SHA-512..SHA-1 x RSA/DSA/ECDSA).
//   Not sent, unlike a 2019 browser or OpenSSL 3: ALPN, extended_master_secret,
//   encrypt_then_mac, supported_versions, key_share (1.0.2 had none of them). 1.0.2's
//   heartbeat extension is absent because OpenSSL 3 removed heartbeats.
//   JA3 (without SNI the same minus the leading "0-" of the extensions):
//     771,49195-49199-49196-49200-49161-49171-49162-49172-51-57-47-53-255,0-11-10-35-13,23-24-25,0-1-2
//     = 42e6d1dc7ab0967aea54759e6b69dcaa; JA4 t12d130500_3b77a0fc82ec_c70a3c84db07
//
// Security level 0: OpenSSL 1.0.2 had no security levels, so the 2019 box completed
// handshakes with servers offering 1024-bit DH, SHA-1 signatures or TLS 1.0 only; at
// OpenSSL 3's default level those fail, and the box would judge fewer servers than it did.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/client-hello.h"
#include "net/result.h"

namespace mitmlab {

struct OriginHelloProfile {
  std::string name = "kz-2019";
  std::uint16_t min_version = kTls10;
  std::uint16_t max_version = kTls12;
  // OpenSSL cipher names, ':'-separated, sent in this order; "" = OpenSSL's default list.
  std::string cipher_list =
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
      "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:"
      "DHE-RSA-AES128-SHA:DHE-RSA-AES256-SHA:AES128-SHA:AES256-SHA";
  // TLS 1.3 suites, used only when max_version is TLS 1.3; "" = OpenSSL's default.
  std::string tls13_ciphersuites;
  // SSL_CTX_set1_groups_list syntax; "" = OpenSSL's default.
  std::string groups = "P-256:P-384:P-521";
  // SSL_CTX_set1_sigalgs_list syntax; "" = OpenSSL's default.
  std::string signature_algorithms =
      "RSA+SHA512:DSA+SHA512:ECDSA+SHA512:RSA+SHA384:DSA+SHA384:ECDSA+SHA384:"
      "RSA+SHA256:DSA+SHA256:ECDSA+SHA256:RSA+SHA224:DSA+SHA224:ECDSA+SHA224:"
      "RSA+SHA1:DSA+SHA1:ECDSA+SHA1";
  bool session_ticket = true;           // empty session_ticket extension
  bool extended_master_secret = false;  // RFC 7627, OpenSSL >= 1.1.0
  bool encrypt_then_mac = false;        // RFC 7366, OpenSSL >= 1.1.0
  // Talk to servers without RFC 5746 secure renegotiation, as 1.0.2 did (OpenSSL 3 refuses).
  bool allow_legacy_servers = true;
  std::vector<std::string> alpn;  // empty: no ALPN extension
  int security_level = 0;
};

// Profiles by name: "kz-2019" (the default above) and "openssl-default" (OpenSSL 3's own
// client hello, TLS 1.3 included: what a box built today without care would send).
Result<OriginHelloProfile> origin_hello_profile(std::string_view name);

}  // namespace mitmlab
