#include "net/openssl.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

namespace mitmlab {

std::string drain_openssl_errors() {
  std::string out;
  unsigned long code;
  char buf[256];
  while ((code = ERR_get_error()) != 0) {
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

Error openssl_error(const std::string& what) {
  std::string detail = drain_openssl_errors();
  return Error{detail.empty() ? what : what + " (" + detail + ")"};
}

Bytes x509_to_der(const X509* cert) {
  int n = i2d_X509(cert, nullptr);
  if (n <= 0) return {};
  Bytes out(static_cast<std::size_t>(n));
  unsigned char* p = out.data();
  i2d_X509(cert, &p);
  return out;
}

Result<X509Ptr> x509_from_der(ByteView der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return openssl_error("not a DER certificate");
  if (p != der.data() + der.size()) return make_error("trailing bytes after DER certificate");
  return cert;
}

std::string certificate_der_to_pem(ByteView der) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio(bio.get(), PEM_STRING_X509, "", der.data(), static_cast<long>(der.size()));
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string x509_to_pem(const X509* cert) { return certificate_der_to_pem(x509_to_der(cert)); }

Bytes x509_sha256(const X509* cert) {
  Bytes der = x509_to_der(cert);
  Bytes out(SHA256_DIGEST_LENGTH);
  SHA256(der.data(), der.size(), out.data());
  return out;
}

}  // namespace mitmlab
