#include "net/client-hello.h"

#include <algorithm>
#include <optional>
#include <set>

#include "net/reader.h"
#include "net/writer.h"

namespace mitmlab {

std::string_view extension_name(std::uint16_t type) {
  if (is_grease(type)) return "grease";
  switch (type) {
    case 0x0000: return "server_name";
    case 0x0001: return "max_fragment_length";
    case 0x0005: return "status_request";
    case 0x000a: return "supported_groups";
    case 0x000b: return "ec_point_formats";
    case 0x000d: return "signature_algorithms";
    case 0x0010: return "application_layer_protocol_negotiation";
    case 0x0012: return "signed_certificate_timestamp";
    case 0x0015: return "padding";
    case 0x0016: return "encrypt_then_mac";
    case 0x0017: return "extended_master_secret";
    case 0x001b: return "compress_certificate";
    case 0x0023: return "session_ticket";
    case 0x0029: return "pre_shared_key";
    case 0x002a: return "early_data";
    case 0x002b: return "supported_versions";
    case 0x002d: return "psk_key_exchange_modes";
    case 0x0031: return "post_handshake_auth";
    case 0x0032: return "signature_algorithms_cert";
    case 0x0033: return "key_share";
    case 0xfe0d: return "encrypted_client_hello";
    case 0xff01: return "renegotiation_info";
    default: return "unknown";  // kept raw and skipped: every switch has this arm
  }
}

const Extension* ClientHello::find_extension(std::uint16_t type) const {
  for (const Extension& e : extensions)
    if (e.type == type) return &e;
  return nullptr;
}

std::optional<std::string> ClientHello::sni() const {
  for (const ServerName& n : server_names)
    if (n.type == 0) return n.name;
  return std::nullopt;
}

std::uint16_t ClientHello::negotiable_version() const {
  std::optional<std::uint16_t> best;
  for (std::uint16_t v : supported_versions)
    if (!is_grease(v) && (!best || v > *best)) best = v;
  // RFC 8446 §4.2.1: a server that sees supported_versions ignores legacy_version.
  return best ? *best : legacy_version;
}

namespace {

// A block behind a 1-, 2- or 3-byte length prefix, or an error naming `what`.
TlsResult<Reader> block(Reader& r, int width, std::string_view what) {
  std::size_t available = r.remaining();
  std::optional<std::uint32_t> n = width == 1   ? std::optional<std::uint32_t>(r.u8())
                                   : width == 2 ? std::optional<std::uint32_t>(r.u16())
                                                : r.u24();
  if (!n)
    return tls_error(TlsErrc::truncated, "{} length prefix needs {} bytes, {} remaining", what,
                     width, available);
  auto sub = r.sub(*n);
  if (!sub)
    return tls_error(TlsErrc::truncated, "{} length {} exceeds {} remaining bytes", what, *n,
                     r.remaining());
  return *sub;
}

TlsResult<std::vector<std::uint16_t>> u16_list(Reader& r, int width, std::string_view what) {
  auto list = block(r, width, what);
  if (!list) return list.error();
  if (list->remaining() % 2 != 0)
    return tls_error(TlsErrc::bad_field, "{} length {} is odd", what, list->remaining());
  if (list->empty()) return tls_error(TlsErrc::bad_field, "{} is empty", what);
  std::vector<std::uint16_t> out;
  while (auto v = list->u16()) out.push_back(*v);
  return out;
}

std::optional<TlsError> done(const Reader& r, std::string_view what) {
  if (r.expect_empty()) return std::nullopt;
  return tls_error(TlsErrc::trailing_bytes, "{} has {} trailing bytes", what, r.remaining());
}

// RFC 6066 §3: ServerNameList server_name_list<1..2^16-1>, entries of type + name.
std::optional<TlsError> decode_server_name(Reader body, const std::string& what, ClientHello& h) {
  auto list = block(body, 2, what + " list");
  if (!list) return list.error();
  if (auto e = done(body, what)) return e;
  if (list->empty()) return tls_error(TlsErrc::bad_extension, "{} list is empty", what);
  while (!list->empty()) {
    auto type = list->u8();
    auto name = block(*list, 2, what + " name");
    if (!name) return name.error();
    if (name->empty())
      return tls_error(TlsErrc::bad_extension, "{} entry of type {} is empty", what, *type);
    h.server_names.push_back({*type, std::string(as_chars(name->rest()))});
  }
  return std::nullopt;
}

// RFC 7301 §3.1: ProtocolNameList protocol_name_list<2..2^16-1>, names <1..2^8-1>.
std::optional<TlsError> decode_alpn(Reader body, const std::string& what, ClientHello& h) {
  auto list = block(body, 2, what + " list");
  if (!list) return list.error();
  if (auto e = done(body, what)) return e;
  if (list->empty()) return tls_error(TlsErrc::bad_extension, "{} list is empty", what);
  while (!list->empty()) {
    auto name = block(*list, 1, what + " protocol");
    if (!name) return name.error();
    if (name->empty()) return tls_error(TlsErrc::bad_extension, "{} has an empty protocol", what);
    h.alpn_protocols.emplace_back(as_chars(name->rest()));
  }
  return std::nullopt;
}

std::optional<TlsError> decode_u16_list(Reader body, int width, const std::string& what,
                                        std::vector<std::uint16_t>& out) {
  auto list = u16_list(body, width, what);
  if (!list) return list.error();
  out = std::move(*list);
  return done(body, what);
}

// Decodes the extensions an interceptor looks at; the default arm keeps others raw only.
std::optional<TlsError> decode_extension(const Extension& e, ClientHello& h) {
  std::string what = fmt::format("ClientHello: extension 0x{:04x} ({})", e.type,
                                 extension_name(e.type));
  Reader body(e.body);
  switch (e.type) {
    case ext::server_name: return decode_server_name(body, what, h);
    case ext::alpn: return decode_alpn(body, what, h);
    case ext::supported_versions: return decode_u16_list(body, 1, what, h.supported_versions);
    case ext::supported_groups: return decode_u16_list(body, 2, what, h.supported_groups);
    case ext::signature_algorithms: return decode_u16_list(body, 2, what, h.signature_algorithms);
    case ext::ec_point_formats: {
      auto list = block(body, 1, what);
      if (!list) return list.error();
      if (list->empty()) return tls_error(TlsErrc::bad_extension, "{} is empty", what);
      auto formats = list->rest();
      h.ec_point_formats.assign(formats.begin(), formats.end());
      return done(body, what);
    }
    default: return std::nullopt;
  }
}

std::optional<TlsError> parse_extensions(Reader& body, ClientHello& h) {
  h.has_extensions_block = true;
  auto list = block(body, 2, std::string_view("ClientHello: extensions"));
  if (!list) return list.error();
  std::set<std::uint16_t> seen;
  while (!list->empty()) {
    auto type = list->u16();
    if (!type)
      return tls_error(TlsErrc::truncated, "ClientHello: extension type needs 2 bytes, {} remaining",
                       list->remaining());
    auto data = block(*list, 2,
                      fmt::format("ClientHello: extension 0x{:04x} ({})", *type, extension_name(*type)));
    if (!data) return data.error();
    if (!seen.insert(*type).second)
      return tls_error(TlsErrc::duplicate_extension, "ClientHello: extension 0x{:04x} ({}) appears twice",
                       *type, extension_name(*type));
    auto raw = data->rest();
    h.extensions.push_back({*type, Bytes(raw.begin(), raw.end())});
    if (auto e = decode_extension(h.extensions.back(), h)) return e;
  }
  return std::nullopt;
}

}  // namespace

TlsResult<ClientHello> parse_client_hello(ByteView message) {
  Reader r(message);
  auto type = r.u8();
  if (!type) return tls_error(TlsErrc::truncated, "ClientHello: empty handshake message");
  if (*type != kHandshakeClientHello)
    return tls_error(TlsErrc::bad_handshake_type, "handshake message type {} is not a ClientHello (1)",
                     *type);
  auto body = block(r, 3, std::string_view("ClientHello: handshake"));
  if (!body) return body.error();
  if (auto e = done(r, "ClientHello: handshake message")) return *e;

  ClientHello h;
  auto version = body->u16();
  auto random = body->take(32);
  if (!version || !random)
    return tls_error(TlsErrc::truncated, "ClientHello: version and random need 34 bytes, have {}",
                     message.size() - kHandshakeHeaderSize);
  h.legacy_version = *version;
  std::copy(random->begin(), random->end(), h.random.begin());

  auto session = block(*body, 1, std::string_view("ClientHello: session_id"));
  if (!session) return session.error();
  if (session->remaining() > 32)
    return tls_error(TlsErrc::bad_field, "ClientHello: session_id length {} exceeds 32",
                     session->remaining());
  h.session_id.assign(session->rest().begin(), session->rest().end());

  auto suites = u16_list(*body, 2, "ClientHello: cipher_suites");
  if (!suites) return suites.error();
  h.cipher_suites = std::move(*suites);

  auto compression = block(*body, 1, std::string_view("ClientHello: compression_methods"));
  if (!compression) return compression.error();
  if (compression->empty())
    return tls_error(TlsErrc::bad_field, "ClientHello: compression_methods is empty");
  h.compression_methods.assign(compression->rest().begin(), compression->rest().end());

  // RFC 5246 §7.4.1.2: the extensions block may be absent altogether.
  if (!body->empty()) {
    if (auto e = parse_extensions(*body, h)) return *e;
    if (auto e = done(*body, "ClientHello: body")) return *e;
  }
  return h;
}

Bytes encode_client_hello(const ClientHello& h) {
  Writer body;
  body.u16(h.legacy_version);
  body.bytes(h.random);
  body.with_length(1, [&] { body.bytes(h.session_id); });
  body.with_length(2, [&] {
    for (std::uint16_t s : h.cipher_suites) body.u16(s);
  });
  body.with_length(1, [&] { body.bytes(h.compression_methods); });
  if (h.has_extensions_block || !h.extensions.empty()) {
    body.with_length(2, [&] {
      for (const Extension& e : h.extensions) {
        body.u16(e.type);
        body.with_length(2, [&] { body.bytes(e.body); });
      }
    });
  }
  // The header is written last, around the finished body.
  Writer w;
  w.u8(kHandshakeClientHello);
  w.u24(static_cast<std::uint32_t>(body.size()));
  w.bytes(body.data());
  return w.take();
}

}  // namespace mitmlab
