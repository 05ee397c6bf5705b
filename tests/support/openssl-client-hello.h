// Real ClientHellos for tests: an OpenSSL client over memory BIOs, SSL_connect once, and
// the bytes it wrote (TLS records, as TCP would carry them). Throws std::runtime_error if
// OpenSSL refuses the options, which is a broken test, not a case under test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/bytes.h"

namespace mitmlab::test {

struct ClientHelloOptions {
  bool tls13 = true;                       // false: TLS 1.2 at most (no supported_versions)
  std::optional<std::string> sni;          // none: no server_name extension
  std::vector<std::string> alpn;           // empty: no ALPN extension
  std::string cipher_list;                 // TLS <= 1.2 suites (SSL_CTX_set_cipher_list); "" = default
  std::string ciphersuites;                // TLS 1.3 suites (SSL_CTX_set_ciphersuites); "" = default
  std::size_t extra_extension_bytes = 0;   // > 0: a private extension of this many bytes (<= 65535)
  std::uint16_t extra_extension_type = 0xff42;
  std::size_t max_fragment = 0;            // > 0: OpenSSL cuts records at this size (512..16384)
};

// The record-layer bytes of the ClientHello OpenSSL sends with `options`.
Bytes openssl_client_hello(const ClientHelloOptions& options = {});

// The handshake payload of a run of handshake records (record headers stripped); the
// bytes must be whole, valid records.
Bytes handshake_payload(ByteView records);

// The same handshake payload re-cut into records of at most `max_fragment` bytes with
// record version 0x0301, to spread a ClientHello over many records.
Bytes refragment(ByteView records, std::size_t max_fragment);

}  // namespace mitmlab::test
