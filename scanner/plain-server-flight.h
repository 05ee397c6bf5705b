// The start of a server's first flight read from the bytes as they came, while it is plain
// handshake records: its ServerHello and the Certificate message after it (TLS 1.2 and
// earlier; TLS 1.3 encrypts the Certificate). A certificate-stop probe reads this much
// itself to look the Certificate message up (scanner/certificate-message-cache.h) before
// OpenSSL reads it. Only the framing is checked here; OpenSSL judges the content.
#pragma once

#include <cstddef>
#include <cstdint>
#include <variant>

#include "net/bytes.h"

namespace mitmlab {

struct ServerHelloAndCertificate {
  std::uint16_t record_version = 0;  // of the record the ServerHello began in
  Bytes server_hello;                // whole handshake messages, 4-byte headers included
  Bytes certificate;
  Bytes rest;                  // handshake bytes after the Certificate in the records read
  std::size_t consumed = 0;    // bytes of `received` in those records
};

// Not (yet) there: more bytes may complete the two messages.
struct FlightIncomplete {};
// Something else (another record type first, another message, a message longer than a probe
// reads this way, a bad record header): the bytes go to OpenSSL as they came.
struct FlightNotPlain {};

using PlainFlightRead = std::variant<ServerHelloAndCertificate, FlightIncomplete, FlightNotPlain>;

// Handshake messages longer than this are left to OpenSSL (its own limit on a certificate
// list is 100 KiB by default; real chains are a few KiB).
inline constexpr std::size_t kMaxPlainFlightMessage = 64 * 1024;

PlainFlightRead read_server_hello_and_certificate(ByteView received);

}  // namespace mitmlab
