// The TLS record layer (RFC 8446 §5.1, RFC 5246 §6.2): the 5-byte header and the bounds
// a receiver enforces, plus a writer for tests and for the box's own flights.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "net/bytes.h"
#include "net/tls-error.h"

namespace mitmlab {

enum class ContentType : std::uint8_t {
  change_cipher_spec = 20,
  alert = 21,
  handshake = 22,
  application_data = 23,
  heartbeat = 24,
};

// "handshake", or "unknown" for a value outside the registry.
std::string_view content_type_name(std::uint8_t type);

inline constexpr std::size_t kRecordHeaderSize = 5;
// TLSPlaintext.length may not exceed 2^14 (RFC 8446 §5.1).
inline constexpr std::size_t kMaxPlaintextFragment = std::size_t{1} << 14;
// TLSCiphertext.length may not exceed 2^14 + 256 in TLS 1.3, 2^14 + 2048 in TLS 1.2
// (RFC 5246 §6.2.3); we accept the larger so both versions parse.
inline constexpr std::size_t kMaxCiphertextFragment = (std::size_t{1} << 14) + 2048;

// Whether a record is still in the clear (its length limit is 2^14) or protected.
enum class RecordProtection { plaintext, ciphertext };

struct RecordHeader {
  std::uint8_t type = 0;  // raw, so unknown types can be reported
  std::uint16_t legacy_version = 0;
  std::uint16_t length = 0;

  std::size_t record_size() const { return kRecordHeaderSize + length; }
};

struct Record {
  RecordHeader header;
  ByteView fragment;  // points into the parsed input
};

// Parses and checks a header: a known content type, version major byte 3, a length
// within the limit for `protection`, and no empty handshake/alert/CCS record.
// Fewer than 5 bytes gives TlsErrc::truncated.
TlsResult<RecordHeader> parse_record_header(ByteView in, RecordProtection protection);

// The first whole record at the front of `in`; nullopt if its header or fragment is not
// all there yet (more bytes may complete it), an error if the header is bad.
TlsResult<std::optional<Record>> next_record(ByteView in, RecordProtection protection);

// One record around `fragment` (at most 65535 bytes; longer is a programming error).
Bytes write_record(ContentType type, std::uint16_t legacy_version, ByteView fragment);

// `payload` cut into records of at most `max_fragment` bytes each (at least one record,
// even for an empty payload). Tests use it to spread a ClientHello over many records.
Bytes write_records(ContentType type, std::uint16_t legacy_version, ByteView payload,
                    std::size_t max_fragment);

}  // namespace mitmlab
