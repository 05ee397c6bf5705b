#include "net/trust-store.h"

#include <openssl/err.h>
#include <openssl/pem.h>

namespace mitmlab {

Result<std::vector<X509Ptr>> certificates_from_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return openssl_error("PEM: BIO_new_mem_buf");
  std::vector<X509Ptr> out;
  ERR_clear_error();
  for (;;) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    out.push_back(std::move(cert));
  }
  // The loop ends on "no start line" at the end of the input; anything else is a broken block.
  unsigned long err = ERR_peek_last_error();
  if (err != 0 && ERR_GET_REASON(err) != PEM_R_NO_START_LINE)
    return openssl_error(fmt::format("PEM: bad block after {} certificate(s)", out.size()));
  ERR_clear_error();
  if (out.empty()) return make_error("PEM: no certificate");
  return out;
}

Result<std::shared_ptr<const TrustStore>> TrustStore::from_roots(
    const std::vector<const X509*>& roots) {
  if (roots.empty()) return make_error("trust store: no root certificates");
  X509StorePtr store(X509_STORE_new());
  if (!store) return openssl_error("trust store: X509_STORE_new");
  for (const X509* root : roots)
    if (!root || X509_STORE_add_cert(store.get(), const_cast<X509*>(root)) != 1)
      return openssl_error("trust store: root refused");
  return std::shared_ptr<const TrustStore>(new TrustStore(std::move(store), roots.size()));
}

Result<std::shared_ptr<const TrustStore>> TrustStore::from_pem(std::string_view pem) {
  auto certs = certificates_from_pem(pem);
  if (!certs) return make_error("trust store: {}", certs.message());
  std::vector<const X509*> roots;
  for (const X509Ptr& c : *certs) roots.push_back(c.get());
  return from_roots(roots);
}

ChainValidation TrustStore::validate(const std::vector<Bytes>& chain_der, std::time_t at) const {
  ChainValidation v;
  std::vector<X509Ptr> certs;
  std::vector<X509*> chain;
  for (std::size_t i = 0; i < chain_der.size(); ++i) {
    auto cert = x509_from_der(chain_der[i]);
    if (!cert) {
      v.reason = fmt::format("certificate {} unreadable: {}", i, cert.message());
      v.depth = static_cast<int>(i);
      return v;
    }
    chain.push_back(cert->get());
    certs.push_back(std::move(*cert));
  }
  return validate(chain, at);
}

ChainValidation TrustStore::validate(const std::vector<X509*>& chain, std::time_t at) const {
  ChainValidation v;
  if (chain.empty()) {
    v.reason = "no certificate";
    return v;
  }
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (!chain[i]) {
      v.reason = fmt::format("certificate {} unreadable", i);
      v.depth = static_cast<int>(i);
      return v;
    }
  }
  X509StackPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!untrusted || !ctx) {
    v.reason = openssl_error("verify: allocation").message;
    return v;
  }
  for (std::size_t i = 1; i < chain.size(); ++i) {
    X509Ptr ref(X509_up_ref(chain[i]) == 1 ? chain[i] : nullptr);
    if (!ref || !sk_X509_push(untrusted.get(), ref.get())) {
      v.reason = openssl_error("verify: allocation").message;
      return v;
    }
    ref.release();  // now the stack's
  }
  ERR_clear_error();
  if (X509_STORE_CTX_init(ctx.get(), store_.get(), chain[0], untrusted.get()) != 1) {
    v.reason = openssl_error("verify: X509_STORE_CTX_init").message;
    return v;
  }
  // A TLS server certificate, as a browser checks it: the "ssl_server" purpose and trust.
  X509_STORE_CTX_set_default(ctx.get(), "ssl_server");
  // The calendar time passed in; without it OpenSSL would use the OS clock.
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), at);
  int rc = X509_verify_cert(ctx.get());
  v.code = X509_STORE_CTX_get_error(ctx.get());
  v.depth = X509_STORE_CTX_get_error_depth(ctx.get());
  v.trusted = rc == 1 && v.code == X509_V_OK;
  v.reason = v.trusted ? "" : X509_verify_cert_error_string(v.code);
  if (rc < 0) v.reason += " (" + drain_openssl_errors() + ")";
  ERR_clear_error();
  return v;
}

}  // namespace mitmlab
