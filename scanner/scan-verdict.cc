#include "scanner/scan-verdict.h"

#include <openssl/evp.h>

#include <algorithm>

namespace mitmlab {

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::injected:
      return "injected";
    case Verdict::ok:
      return "ok";
    case Verdict::tls_failure:
      return "tls-failure";
    case Verdict::reset:
      return "reset";
    case Verdict::timeout:
      return "timeout";
    case Verdict::control_failed:
      return "control-failed";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, Verdict verdict) { return os << verdict_name(verdict); }

namespace {

// The decision table of scan-verdict.h; `judge` gives a chain's judgement (only asked for a
// probe that has one).
template <class Judge>
VerdictDetail apply_table(const ProbeResult& control, const ProbeResult& test, Judge&& judge) {
  VerdictDetail d;
  auto decide = [&d](int row, Verdict v) {
    d.row = row;
    d.verdict = v;
    return d;
  };
  const bool control_chain = !control.chain.empty();
  const bool test_chain = !test.chain.empty();
  if (control_chain) d.control_trusted = judge(control).validation.trusted;
  if (test_chain) {
    ChainJudgement j = judge(test);
    d.test_trusted = j.validation.trusted;
    if (!j.validation.trusted) d.reason = j.validation.reason;
    d.attribution = std::move(j.attribution);
    if (d.attribution) return decide(1, Verdict::injected);
  }
  if (!control_chain) {
    d.reason = "control: " + std::string(probe_outcome_name(control.outcome)) +
               (control.error.empty() ? "" : " (" + control.error + ")");
    return decide(2, Verdict::control_failed);
  }
  if (!test_chain) {
    d.reason = std::string(probe_outcome_name(test.outcome)) +
               (test.error.empty() ? "" : " (" + test.error + ")");
    if (test.outcome == ProbeOutcome::reset) return decide(3, Verdict::reset);
    if (test.outcome == ProbeOutcome::timeout) return decide(4, Verdict::timeout);
    return decide(5, Verdict::tls_failure);
  }
  d.chains_differ = test.chain.front() != control.chain.front();
  if (!d.chains_differ) {
    d.untrusted = !d.test_trusted;
    return decide(6, Verdict::ok);
  }
  if (d.test_trusted) return decide(7, Verdict::ok);
  if (d.control_trusted) return decide(8, Verdict::injected);
  d.untrusted = true;
  return decide(9, Verdict::ok);
}

}  // namespace

ChainJudgement judge_chain(const ProbeResult& probe, const TrustStore& trust, std::time_t at) {
  const auto parsed = parsed_chain(probe);
  const auto certs = raw_chain(parsed);
  // An unreadable certificate: the DER path says why OpenSSL could not read it.
  const bool readable = std::all_of(certs.begin(), certs.end(), [](X509* c) { return c; });
  return {readable ? trust.validate(certs, at) : trust.validate(probe.chain, at),
          attribute_certificates(certs)};
}

VerdictDetail judge_verdict(const ProbeResult& control, const ProbeResult& test,
                            const TrustStore& trust, std::time_t at) {
  return apply_table(control, test, [&](const ProbeResult& p) { return judge_chain(p, trust, at); });
}

ChainJudgements::ChainJudgements(std::shared_ptr<const TrustStore> trust, std::time_t at,
                                 std::size_t capacity)
    : trust_(std::move(trust)),
      at_(at),
      capacity_(std::max<std::size_t>(1, capacity)),
      sha256_(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {}

// SHA-256 over the chain's certificates, each preceded by its length (so that where one
// certificate ends counts too).
std::optional<std::string> ChainJudgements::digest(const std::vector<Bytes>& chain) const {
  Bytes all;
  for (const Bytes& der : chain) {
    const std::uint64_t n = der.size();
    for (int shift = 56; shift >= 0; shift -= 8)
      all.push_back(static_cast<std::uint8_t>(n >> shift));
    all.insert(all.end(), der.begin(), der.end());
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!sha256_ || EVP_Digest(all.data(), all.size(), out, &n, sha256_.get(), nullptr) != 1)
    return std::nullopt;
  return std::string(reinterpret_cast<const char*>(out), n);
}

ChainJudgement ChainJudgements::judge(const ProbeResult& probe) {
  std::optional<std::string> key = digest(probe.chain);
  if (key)
    if (auto it = by_digest_.find(*key); it != by_digest_.end()) {
      ++hits_;
      return it->second;
    }
  ++misses_;
  ChainJudgement j = judge_chain(probe, *trust_, at_);
  if (!key) return j;  // no digest (OpenSSL failed): judged, not kept
  if (by_digest_.size() >= capacity_) by_digest_.clear();
  by_digest_.emplace(std::move(*key), j);
  return j;
}

VerdictDetail judge_verdict(const ProbeResult& control, const ProbeResult& test,
                            ChainJudgements& chains) {
  return apply_table(control, test, [&](const ProbeResult& p) { return chains.judge(p); });
}

}  // namespace mitmlab
