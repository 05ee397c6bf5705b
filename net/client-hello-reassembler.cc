#include "net/client-hello-reassembler.h"

#include <algorithm>

#include "net/tls-record.h"

namespace mitmlab {

namespace {

ClientHelloReassembler::Malformed malformed(TlsError error) { return {std::move(error)}; }

}  // namespace

ClientHelloReassembler::Outcome ClientHelloReassembler::feed(ByteView bytes) {
  if (final_) return *final_;
  // Never hold more than the cap, even when one segment brings more than that.
  std::size_t room = cap_ - buffer_.size();
  std::size_t n = std::min(room, bytes.size());
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
  Outcome out = evaluate(bytes.size() > room);
  if (!std::holds_alternative<NeedMore>(out)) final_ = out;
  return out;
}

// Early answers from the first bytes of the handshake message, so that a hello that can
// never be complete is refused before it is buffered.
std::optional<ClientHelloReassembler::Outcome> ClientHelloReassembler::check_handshake_prefix(
    ByteView prefix) const {
  if (prefix.empty()) return std::nullopt;
  if (prefix[0] != kHandshakeClientHello)
    return malformed(tls_error(TlsErrc::bad_handshake_type,
                               "handshake message type {} is not a ClientHello (1)", prefix[0]));
  if (prefix.size() < kHandshakeHeaderSize) return std::nullopt;
  std::size_t message = kHandshakeHeaderSize + ((std::size_t{prefix[1]} << 16) |
                                                (std::size_t{prefix[2]} << 8) | prefix[3]);
  // The least it can take on the wire: the message plus one header per full record.
  std::size_t records = (message + kMaxPlaintextFragment - 1) / kMaxPlaintextFragment;
  std::size_t least = message + records * kRecordHeaderSize;
  if (least > cap_)
    return malformed(tls_error(TlsErrc::too_large,
                               "ClientHello: handshake length {} needs at least {} stream bytes, "
                               "above the {}-byte cap",
                               message - kHandshakeHeaderSize, least, cap_));
  return std::nullopt;
}

ClientHelloReassembler::Outcome ClientHelloReassembler::evaluate(bool overflowed) {
  if (buffer_.empty()) return NeedMore{};
  if (buffer_[0] != static_cast<std::uint8_t>(ContentType::handshake))
    return NotTls{fmt::format("first byte 0x{:02x} is not a TLS handshake record (0x16)", buffer_[0])};
  if (buffer_.size() >= 2 && buffer_[1] != 0x03)
    return NotTls{fmt::format("record version major byte 0x{:02x} is not 3", buffer_[1])};

  while (true) {
    ByteView rest = ByteView(buffer_).subspan(scanned_);
    auto record = next_record(rest, RecordProtection::plaintext);
    if (!record)
      return malformed({record.code(), fmt::format("{} (record {} at stream offset {})",
                                                   record.message(), records_ + 1, scanned_)});
    if (rest.size() >= kRecordHeaderSize && rest[0] != static_cast<std::uint8_t>(ContentType::handshake))
      return malformed(tls_error(TlsErrc::bad_record_type,
                                 "TLS record {} at stream offset {} has content type {} ({}) before "
                                 "the ClientHello was complete",
                                 records_ + 1, scanned_, rest[0], content_type_name(rest[0])));
    if (!*record) {
      // Incomplete record: look at what is there of the handshake header already.
      Bytes prefix(handshake_.begin(),
                   handshake_.begin() + static_cast<std::ptrdiff_t>(
                                            std::min(handshake_.size(), kHandshakeHeaderSize)));
      for (std::size_t i = kRecordHeaderSize; i < rest.size() && prefix.size() < kHandshakeHeaderSize; ++i)
        prefix.push_back(rest[i]);
      if (auto early = check_handshake_prefix(prefix)) return *early;
      break;
    }
    ByteView fragment = (*record)->fragment;
    handshake_.insert(handshake_.end(), fragment.begin(), fragment.end());
    scanned_ += (*record)->header.record_size();
    ++records_;
    if (auto early = check_handshake_prefix(handshake_)) return *early;
    if (handshake_.size() < kHandshakeHeaderSize) continue;
    std::size_t message = kHandshakeHeaderSize + ((std::size_t{handshake_[1]} << 16) |
                                                  (std::size_t{handshake_[2]} << 8) | handshake_[3]);
    if (handshake_.size() < message) continue;
    // A client's first flight is the ClientHello alone; more handshake bytes in its last
    // record would be a second message the box cannot account for.
    if (handshake_.size() > message)
      return malformed(tls_error(TlsErrc::trailing_bytes,
                                 "TLS record {} carries {} handshake bytes after the ClientHello",
                                 records_, handshake_.size() - message));
    auto hello = parse_client_hello(handshake_);
    if (!hello) return malformed(hello.error());
    return Complete{std::move(*hello), scanned_};
  }
  if (overflowed)
    return malformed(tls_error(TlsErrc::too_large,
                               "ClientHello: {} bytes buffered without a complete ClientHello, the "
                               "cap is {}",
                               buffer_.size(), cap_));
  return NeedMore{};
}

}  // namespace mitmlab
