#include "interceptor/engine-dependencies.h"

#include <fstream>
#include <sstream>

#include "interceptor/forge/forger.h"
#include "interceptor/forge/forging-profile.h"
#include "interceptor/tls/origin-certificate-judge.h"

namespace mitmlab {

Result<EngineDependencies> make_engine_dependencies(const EngineConfig& config, const KeySource& keys) {
  EngineDependencies deps;
  Result<ForgingProfile> profile = find_profile(config.forging_profile);
  if (!profile) return make_error("engine dependencies: {}", profile.message());
  Result<FakeAuthority> authority = FakeAuthority::create(*profile, config.seed, keys);
  if (!authority) return make_error("engine dependencies: fake authority: {}", authority.message());
  deps.forger = std::make_shared<Forger>(std::make_shared<const FakeAuthority>(std::move(authority.value())),
                                         Forger::kDefaultCapacity, keys);
  if (config.trust_store.empty()) return deps;
  std::string pem;
  for (const std::string& entry : config.trust_store) {
    if (entry.starts_with("-----BEGIN")) {
      pem += entry;
    } else {
      std::ifstream in(entry, std::ios::binary);
      if (!in) return make_error("engine dependencies: trust_store: cannot read {}", entry);
      std::ostringstream text;
      text << in.rdbuf();
      pem += text.str();
    }
    pem += '\n';
  }
  Result<OriginCertificateJudge> judge = OriginCertificateJudge::from_pem(pem);
  if (!judge) return make_error("engine dependencies: trust_store: {}", judge.message());
  deps.judge = std::make_shared<const OriginCertificateJudge>(std::move(judge.value()));
  return deps;
}

}  // namespace mitmlab
