#include "interceptor/forge/certificate-file.h"

#include <filesystem>
#include <fstream>

#include <openssl/err.h>
#include <openssl/pem.h>

namespace mitmlab {

namespace {

// A certificate file larger than this is not a certificate file: refuse before parsing.
constexpr std::size_t kMaxCertificateFileBytes = 1 << 20;

bool looks_like_pem(ByteView bytes) {
  return as_chars(bytes).find("-----BEGIN") != std::string_view::npos;
}

}  // namespace

Result<X509Ptr> parse_certificate(ByteView bytes, std::string_view source) {
  if (bytes.empty()) return make_error("{}: no certificate found (empty file)", source);
  if (bytes.size() > kMaxCertificateFileBytes)
    return make_error("{}: {} bytes is too large for a certificate file", source, bytes.size());
  ERR_clear_error();
  if (looks_like_pem(bytes)) {
    // PEM_read_bio_X509 skips any block that is not a certificate (a key, say) and
    // returns the first CERTIFICATE block: in a chain file, that is the leaf.
    BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
    if (!bio) return openssl_error(fmt::format("{}: cannot allocate a memory BIO", source));
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert)
      return openssl_error(
          fmt::format("{}: PEM text holds no readable CERTIFICATE block", source));
    return cert;
  }
  // Not PEM: a DER certificate must be one SEQUENCE filling the file exactly.
  auto der = x509_from_der(bytes);
  if (!der) return make_error("{}: neither PEM nor a DER certificate: {}", source, der.message());
  return std::move(der).value();
}

Result<X509Ptr> load_certificate_file(const std::string& path) {
  std::error_code ec;
  // A directory opens as a stream on Linux and reads as empty: say what it really is.
  if (std::filesystem::is_directory(path, ec)) return make_error("{}: is a directory", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("{}: cannot open certificate file", path);
  Bytes bytes;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    bytes.insert(bytes.end(), buf, buf + in.gcount());
    if (bytes.size() > kMaxCertificateFileBytes)
      return make_error("{}: larger than {} bytes, not a certificate file", path,
                        kMaxCertificateFileBytes);
  }
  if (in.bad()) return make_error("{}: read error", path);
  return parse_certificate(bytes, path);
}

}  // namespace mitmlab
