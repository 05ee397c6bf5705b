#include "interceptor/tls/origin-certificate-judge.h"

namespace mitmlab {

Result<OriginCertificateJudge> OriginCertificateJudge::from_roots(
    const std::vector<const X509*>& roots) {
  auto store = TrustStore::from_roots(roots);
  if (!store) return store.error();
  return OriginCertificateJudge(std::move(store.value()));
}

Result<OriginCertificateJudge> OriginCertificateJudge::from_pem(std::string_view pem_roots) {
  auto store = TrustStore::from_pem(pem_roots);
  if (!store) return store.error();
  return OriginCertificateJudge(std::move(store.value()));
}

OriginVerdict OriginCertificateJudge::judge(const std::vector<Bytes>& chain_der,
                                            std::time_t at) const {
  ChainValidation v = store_->validate(chain_der, at);
  // OriginVerdict names a trusted chain "ok", as OpenSSL's X509_V_OK text does.
  return OriginVerdict{v.trusted, v.code, v.trusted ? "ok" : v.reason, v.depth};
}

}  // namespace mitmlab
