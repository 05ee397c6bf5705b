#include "net/tls-record.h"

#include <algorithm>
#include <ostream>

#include "net/reader.h"
#include "net/writer.h"

namespace mitmlab {

std::string_view tls_errc_name(TlsErrc code) {
  switch (code) {
    case TlsErrc::truncated: return "truncated";
    case TlsErrc::bad_record_type: return "bad_record_type";
    case TlsErrc::bad_record_version: return "bad_record_version";
    case TlsErrc::record_too_long: return "record_too_long";
    case TlsErrc::empty_record: return "empty_record";
    case TlsErrc::bad_handshake_type: return "bad_handshake_type";
    case TlsErrc::too_large: return "too_large";
    case TlsErrc::bad_field: return "bad_field";
    case TlsErrc::bad_extension: return "bad_extension";
    case TlsErrc::duplicate_extension: return "duplicate_extension";
    case TlsErrc::trailing_bytes: return "trailing_bytes";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& out, TlsErrc code) { return out << tls_errc_name(code); }

std::string_view content_type_name(std::uint8_t type) {
  switch (type) {
    case 20: return "change_cipher_spec";
    case 21: return "alert";
    case 22: return "handshake";
    case 23: return "application_data";
    case 24: return "heartbeat";
    default: return "unknown";
  }
}

TlsResult<RecordHeader> parse_record_header(ByteView in, RecordProtection protection) {
  Reader r(in);
  auto type = r.u8();
  auto version = r.u16();
  auto length = r.u16();
  if (!type || !version || !length)
    return tls_error(TlsErrc::truncated, "TLS record: header needs {} bytes, have {}",
                     kRecordHeaderSize, in.size());
  RecordHeader h{*type, *version, *length};
  if (content_type_name(h.type) == "unknown")
    return tls_error(TlsErrc::bad_record_type, "TLS record: unknown content type {}", h.type);
  if ((h.legacy_version >> 8) != 0x03)
    return tls_error(TlsErrc::bad_record_version,
                     "TLS record: legacy_version 0x{:04x} is not 3.x", h.legacy_version);
  std::size_t limit =
      protection == RecordProtection::plaintext ? kMaxPlaintextFragment : kMaxCiphertextFragment;
  if (h.length > limit)
    return tls_error(TlsErrc::record_too_long, "TLS record: length {} exceeds the {} limit of {}",
                     h.length, protection == RecordProtection::plaintext ? "plaintext" : "ciphertext",
                     limit);
  // Only application data may be empty (RFC 8446 §5.1); a plaintext empty handshake
  // record is a known way to confuse middleboxes, so it is refused, not skipped.
  if (h.length == 0 && protection == RecordProtection::plaintext &&
      h.type != static_cast<std::uint8_t>(ContentType::application_data))
    return tls_error(TlsErrc::empty_record, "TLS record: empty {} record",
                     content_type_name(h.type));
  return h;
}

TlsResult<std::optional<Record>> next_record(ByteView in, RecordProtection protection) {
  if (in.size() < kRecordHeaderSize) return std::optional<Record>{};
  auto header = parse_record_header(in, protection);
  if (!header) return header.error();
  if (in.size() < header->record_size()) return std::optional<Record>{};
  return std::optional<Record>{Record{*header, in.subspan(kRecordHeaderSize, header->length)}};
}

Bytes write_record(ContentType type, std::uint16_t legacy_version, ByteView fragment) {
  Writer w;
  w.u8(static_cast<std::uint8_t>(type));
  w.u16(legacy_version);
  w.with_length(2, [&] { w.bytes(fragment); });
  return w.take();
}

Bytes write_records(ContentType type, std::uint16_t legacy_version, ByteView payload,
                    std::size_t max_fragment) {
  max_fragment = std::max<std::size_t>(max_fragment, 1);
  Bytes out;
  std::size_t at = 0;
  do {
    std::size_t n = std::min(max_fragment, payload.size() - at);
    Bytes record = write_record(type, legacy_version, payload.subspan(at, n));
    out.insert(out.end(), record.begin(), record.end());
    at += n;
  } while (at < payload.size());
  return out;
}

}  // namespace mitmlab
