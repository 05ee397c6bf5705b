// Collects the first bytes a client sends on a TCP connection until they hold a whole
// ClientHello, however they are cut into segments and TLS records. The interceptor holds
// the flow while the answer is NeedMore and decides once it is anything else.
//
// Choices, each tested: an SSLv2-compatible hello (first byte 0x80) is NotTls; records are
// checked as plaintext (2^14 limit, no empty handshake records, only handshake records
// until the hello is complete); handshake bytes after the ClientHello in its last record
// are Malformed; the cap counts raw stream bytes, record headers included, and a declared
// handshake length that cannot fit is refused as soon as its 4-byte header is seen.
// The outcome does not depend on how the bytes were cut into feed() calls.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <variant>

#include "net/bytes.h"
#include "net/client-hello.h"
#include "net/tls-error.h"

namespace mitmlab {

// Envoy's TLS inspector uses the same cap; a real ClientHello is rarely above 2 KiB,
// post-quantum key shares bring it to about 1.8 KiB more.
inline constexpr std::size_t kClientHelloBufferCap = 64 * 1024;

class ClientHelloReassembler {
 public:
  struct NeedMore {};
  struct Complete {
    ClientHello hello;
    // Stream bytes up to the end of the last record that carried the ClientHello; what
    // follows (early data, a second flight) is the caller's. buffered().first(consumed)
    // is the hello exactly as the client sent it, for forwarding unchanged.
    std::size_t consumed = 0;
  };
  // The stream does not start like TLS (first byte not 0x16, or version major not 3).
  struct NotTls {
    std::string reason;
  };
  // It starts like TLS but is broken, or the hello does not fit within the cap.
  struct Malformed {
    TlsError error;
  };
  using Outcome = std::variant<NeedMore, Complete, NotTls, Malformed>;

  explicit ClientHelloReassembler(std::size_t cap = kClientHelloBufferCap) : cap_(cap) {}

  // Appends the next in-order stream bytes. Once the outcome is not NeedMore it is final:
  // later calls return it again and ignore their bytes.
  Outcome feed(ByteView bytes);

  // The stream bytes kept so far (at most the cap), e.g. to release a held flow.
  ByteView buffered() const { return buffer_; }

 private:
  Outcome evaluate(bool overflowed);
  std::optional<Outcome> check_handshake_prefix(ByteView prefix) const;

  std::size_t cap_;
  Bytes buffer_;              // raw stream bytes, never more than cap_
  Bytes handshake_;           // fragments of the complete records so far
  std::size_t scanned_ = 0;   // offset in buffer_ of the first record not yet complete
  std::size_t records_ = 0;   // complete records so far, for error messages
  std::optional<Outcome> final_;
};

}  // namespace mitmlab
