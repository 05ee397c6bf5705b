#include "scanner/plain-server-flight.h"

#include "net/tls-record.h"

namespace mitmlab {
namespace {

constexpr std::uint8_t kServerHello = 2;
constexpr std::uint8_t kCertificate = 11;
constexpr std::size_t kMessageHeader = 4;

}  // namespace

PlainFlightRead read_server_hello_and_certificate(ByteView received) {
  ServerHelloAndCertificate out;
  Bytes handshake;  // the records' fragments, joined
  std::size_t offset = 0;
  for (;;) {
    auto record = next_record(received.subspan(offset), RecordProtection::plaintext);
    if (!record.ok()) return FlightNotPlain{};
    if (!*record) return FlightIncomplete{};
    if ((*record)->header.type != static_cast<std::uint8_t>(ContentType::handshake)) return FlightNotPlain{};
    if (offset == 0) out.record_version = (*record)->header.legacy_version;
    handshake.insert(handshake.end(), (*record)->fragment.begin(), (*record)->fragment.end());
    offset += (*record)->header.record_size();
    // Walk the two messages as far as the bytes go.
    std::size_t at = 0;
    for (std::uint8_t wanted : {kServerHello, kCertificate}) {
      if (handshake.size() < at + kMessageHeader) break;
      if (handshake[at] != wanted) return FlightNotPlain{};
      const std::size_t length = (std::size_t{handshake[at + 1]} << 16) | (std::size_t{handshake[at + 2]} << 8) |
                                 handshake[at + 3];
      if (length > kMaxPlainFlightMessage) return FlightNotPlain{};
      if (handshake.size() < at + kMessageHeader + length) break;
      at += kMessageHeader + length;
      if (wanted == kCertificate) {
        const std::size_t hello = kMessageHeader + ((std::size_t{handshake[1]} << 16) |
                                                    (std::size_t{handshake[2]} << 8) | handshake[3]);
        out.server_hello.assign(handshake.begin(), handshake.begin() + hello);
        out.certificate.assign(handshake.begin() + hello, handshake.begin() + at);
        out.rest.assign(handshake.begin() + at, handshake.end());
        out.consumed = offset;
        return out;
      }
    }
  }
}

}  // namespace mitmlab
