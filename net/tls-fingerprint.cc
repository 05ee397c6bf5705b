#include "net/tls-fingerprint.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "net/openssl.h"

namespace mitmlab {

namespace {

std::string digest_hex(const EVP_MD* md, std::string_view data) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  // These only fail on allocation failure or a provider without the digest; an empty
  // string then makes a fingerprint that matches nothing rather than a crash.
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out, &n) != 1) {
    drain_openssl_errors();
    return {};
  }
  return to_hex(ByteView(out, n));
}

template <typename T>
std::vector<T> without_grease(const std::vector<T>& values) {
  std::vector<T> out;
  for (T v : values)
    if (!is_grease(v)) out.push_back(v);
  return out;
}

std::vector<std::uint16_t> extension_types(const ClientHello& h) {
  std::vector<std::uint16_t> out;
  for (const Extension& e : h.extensions)
    if (!is_grease(e.type)) out.push_back(e.type);
  return out;
}

template <typename Range>
std::string join_decimal(const Range& values) {
  return fmt::format("{}", fmt::join(values, "-"));
}

std::string join_hex(const std::vector<std::uint16_t>& values) {
  return fmt::format("{:04x}", fmt::join(values, ","));
}

std::string ja4_version(std::uint16_t v) {
  switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    case 0xfeff: return "d1";
    case 0xfefd: return "d2";
    case 0xfefc: return "d3";
    default: return "00";
  }
}

std::string ja4_alpn(const ClientHello& h) {
  if (h.alpn_protocols.empty() || h.alpn_protocols.front().empty()) return "00";
  const std::string& p = h.alpn_protocols.front();
  auto alnum = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  };
  if (alnum(p.front()) && alnum(p.back())) return std::string{p.front(), p.back()};
  std::string hex = to_hex(as_bytes(p));
  return std::string{hex.front(), hex.back()};
}

struct Ja4Parts {
  std::string a, b, c;
};

Ja4Parts ja4_parts(const ClientHello& h, Ja4Transport transport) {
  std::vector<std::uint16_t> suites = without_grease(h.cipher_suites);
  std::vector<std::uint16_t> exts = extension_types(h);
  char proto = transport == Ja4Transport::quic ? 'q' : transport == Ja4Transport::dtls ? 'd' : 't';
  // negotiable_version() already skips GREASE in supported_versions.
  Ja4Parts out;
  out.a = fmt::format("{}{}{}{:02}{:02}{}", proto, ja4_version(h.negotiable_version()),
                      h.has_extension(ext::server_name) ? 'd' : 'i',
                      std::min<std::size_t>(suites.size(), 99),
                      std::min<std::size_t>(exts.size(), 99), ja4_alpn(h));
  std::sort(suites.begin(), suites.end());
  out.b = join_hex(suites);
  std::erase_if(exts, [](std::uint16_t t) { return t == ext::server_name || t == ext::alpn; });
  std::sort(exts.begin(), exts.end());
  out.c = join_hex(exts);
  std::vector<std::uint16_t> sigs = without_grease(h.signature_algorithms);
  if (!exts.empty() && !sigs.empty()) out.c.append("_").append(join_hex(sigs));
  return out;
}

std::string hash12(const std::string& list) {
  if (list.empty()) return "000000000000";
  return sha256_hex(list).substr(0, 12);
}

}  // namespace

std::string md5_hex(std::string_view data) { return digest_hex(EVP_md5(), data); }
std::string sha256_hex(std::string_view data) { return digest_hex(EVP_sha256(), data); }

std::string ja3_string(const ClientHello& h) {
  return fmt::format("{},{},{},{},{}", h.legacy_version, join_decimal(without_grease(h.cipher_suites)),
                     join_decimal(extension_types(h)), join_decimal(without_grease(h.supported_groups)),
                     join_decimal(std::vector<unsigned>(h.ec_point_formats.begin(),
                                                        h.ec_point_formats.end())));
}

std::string ja3_hash(const ClientHello& h) { return md5_hex(ja3_string(h)); }

std::string ja4(const ClientHello& h, Ja4Transport transport) {
  Ja4Parts p = ja4_parts(h, transport);
  return fmt::format("{}_{}_{}", p.a, hash12(p.b), hash12(p.c));
}

std::string ja4_raw(const ClientHello& h, Ja4Transport transport) {
  Ja4Parts p = ja4_parts(h, transport);
  return fmt::format("{}_{}_{}", p.a, p.b, p.c);
}

}  // namespace mitmlab
