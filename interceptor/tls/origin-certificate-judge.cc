#include "interceptor/tls/origin-certificate-judge.h"

#include <openssl/err.h>
#include <openssl/pem.h>

namespace mitmlab {

Result<OriginCertificateJudge> OriginCertificateJudge::from_roots(
    const std::vector<const X509*>& roots) {
  if (roots.empty()) return make_error("trust store: no root certificates");
  X509StorePtr store(X509_STORE_new());
  if (!store) return openssl_error("trust store: X509_STORE_new");
  for (const X509* root : roots) {
    // Takes its own reference; the const_cast only touches the count.
    if (!root || X509_STORE_add_cert(store.get(), const_cast<X509*>(root)) != 1)
      return openssl_error("trust store: root refused");
  }
  return OriginCertificateJudge(std::move(store), roots.size());
}

Result<OriginCertificateJudge> OriginCertificateJudge::from_pem(std::string_view pem_roots) {
  BioPtr bio(BIO_new_mem_buf(pem_roots.data(), static_cast<int>(pem_roots.size())));
  if (!bio) return openssl_error("trust store: BIO_new_mem_buf");
  std::vector<X509Ptr> owned;
  for (;;) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    owned.push_back(std::move(cert));
  }
  // The loop ends on "no start line" at the end of input; anything else is a broken block.
  unsigned long err = ERR_peek_last_error();
  if (err != 0 && ERR_GET_REASON(err) != PEM_R_NO_START_LINE)
    return openssl_error(fmt::format("trust store: bad PEM after {} certificate(s)", owned.size()));
  ERR_clear_error();
  std::vector<const X509*> roots;
  for (const X509Ptr& c : owned) roots.push_back(c.get());
  return from_roots(roots);
}

OriginVerdict OriginCertificateJudge::judge(const std::vector<Bytes>& chain_der,
                                            std::time_t at) const {
  OriginVerdict v;
  v.code = -1;
  if (chain_der.empty()) {
    v.reason = "no certificate";
    return v;
  }
  std::vector<X509Ptr> certs;
  for (std::size_t i = 0; i < chain_der.size(); ++i) {
    auto cert = x509_from_der(chain_der[i]);
    if (!cert) {
      v.reason = fmt::format("certificate {} unreadable: {}", i, cert.message());
      v.depth = static_cast<int>(i);
      return v;
    }
    certs.push_back(std::move(*cert));
  }
  X509StackPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!untrusted || !ctx) {
    v.reason = openssl_error("verify: allocation").message;
    return v;
  }
  for (std::size_t i = 1; i < certs.size(); ++i) {
    // The stack owns what it holds: give it its own reference.
    X509_up_ref(certs[i].get());
    X509Ptr reference(certs[i].get());
    if (!sk_X509_push(untrusted.get(), reference.get())) {
      v.reason = openssl_error("verify: allocation").message;
      return v;
    }
    reference.release();  // now the stack's
  }
  ERR_clear_error();
  if (X509_STORE_CTX_init(ctx.get(), store_.get(), certs[0].get(), untrusted.get()) != 1) {
    v.reason = openssl_error("verify: X509_STORE_CTX_init").message;
    return v;
  }
  // A TLS server certificate, as a browser checks it: the "ssl_server" purpose and trust.
  X509_STORE_CTX_set_default(ctx.get(), "ssl_server");
  // The scenario's calendar time; without it OpenSSL would use the OS clock.
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), at);

  int rc = X509_verify_cert(ctx.get());
  v.code = X509_STORE_CTX_get_error(ctx.get());
  v.depth = X509_STORE_CTX_get_error_depth(ctx.get());
  v.trusted = rc == 1 && v.code == X509_V_OK;
  v.reason = X509_verify_cert_error_string(v.code);
  if (rc < 0) v.reason += " (" + drain_openssl_errors() + ")";
  ERR_clear_error();
  return v;
}

}  // namespace mitmlab
