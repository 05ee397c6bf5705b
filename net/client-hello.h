// The TLS ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2): every field, every extension
// in wire order with its raw body (for fingerprints and re-encoding), and the extensions
// an interceptor decides on decoded. Parsing never throws and never reads out of bounds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/bytes.h"
#include "net/tls-error.h"

namespace mitmlab {

inline constexpr std::uint8_t kHandshakeClientHello = 1;
inline constexpr std::size_t kHandshakeHeaderSize = 4;  // msg_type u8 + length u24

// Extension types this module decodes (IANA "TLS ExtensionType Values").
namespace ext {
inline constexpr std::uint16_t server_name = 0x0000;
inline constexpr std::uint16_t supported_groups = 0x000a;
inline constexpr std::uint16_t ec_point_formats = 0x000b;
inline constexpr std::uint16_t signature_algorithms = 0x000d;
inline constexpr std::uint16_t alpn = 0x0010;
inline constexpr std::uint16_t padding = 0x0015;
inline constexpr std::uint16_t supported_versions = 0x002b;
}  // namespace ext

inline constexpr std::uint16_t kTls10 = 0x0301;
inline constexpr std::uint16_t kTls11 = 0x0302;
inline constexpr std::uint16_t kTls12 = 0x0303;
inline constexpr std::uint16_t kTls13 = 0x0304;

// RFC 8701 GREASE: 0x0a0a, 0x1a1a, ..., 0xfafa (both bytes equal, low nibble 0xa).
constexpr bool is_grease(std::uint16_t v) {
  return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

// "server_name", "grease", or "unknown".
std::string_view extension_name(std::uint16_t type);

struct Extension {
  std::uint16_t type = 0;
  Bytes body;  // exactly as on the wire, without type and length
};

// One entry of the server_name list; name_type 0 is host_name, the only defined type.
struct ServerName {
  std::uint8_t type = 0;
  std::string name;  // raw bytes; not validated as a DNS name
};

struct ClientHello {
  std::uint16_t legacy_version = 0;
  std::array<std::uint8_t, 32> random{};
  Bytes session_id;  // 0..32 bytes
  std::vector<std::uint16_t> cipher_suites;
  Bytes compression_methods;
  // False for a hello that ends after compression_methods (legal before TLS 1.3); an
  // empty but present extensions block is re-encoded as such.
  bool has_extensions_block = false;
  std::vector<Extension> extensions;  // wire order, GREASE included

  // Decoded from the extensions above; empty when the extension is absent.
  std::vector<ServerName> server_names;  // all entries, all name types
  std::vector<std::uint16_t> supported_versions;
  std::vector<std::uint16_t> supported_groups;
  Bytes ec_point_formats;
  std::vector<std::uint16_t> signature_algorithms;
  std::vector<std::string> alpn_protocols;

  const Extension* find_extension(std::uint16_t type) const;
  bool has_extension(std::uint16_t type) const { return find_extension(type) != nullptr; }
  // The first host_name entry: what an SNI-based middlebox matches on.
  std::optional<std::string> sni() const;
  // The highest version the client would negotiate: the highest non-GREASE
  // supported_versions entry when that extension is present, else legacy_version.
  std::uint16_t negotiable_version() const;
};

// Parses one whole handshake message (4-byte header included) that must be a ClientHello
// and must fill `message` exactly.
TlsResult<ClientHello> parse_client_hello(ByteView message);

// The handshake message (header included) for `hello`, from its fields and raw extension
// bodies; parse_client_hello(encode_client_hello(h)) gives back h. The decoded vectors
// are not consulted: edit an extension's body to change what goes on the wire.
Bytes encode_client_hello(const ClientHello& hello);

}  // namespace mitmlab
