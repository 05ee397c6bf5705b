#include "scanner/scan-verdict.h"

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

VerdictDetail judge_verdict(const ProbeResult& control, const ProbeResult& test,
                            const TrustStore& trust, std::time_t at) {
  VerdictDetail d;
  auto decide = [&d](int row, Verdict v) {
    d.row = row;
    d.verdict = v;
    return d;
  };
  const bool control_chain = !control.chain.empty();
  const bool test_chain = !test.chain.empty();
  if (control_chain)
    d.control_trusted = trust.validate(raw_chain(parsed_chain(control)), at).trusted;
  if (test_chain) {
    const auto certs = parsed_chain(test);
    ChainValidation v = trust.validate(raw_chain(certs), at);
    d.test_trusted = v.trusted;
    if (!v.trusted) d.reason = v.reason;
    d.attribution = attribute_certificates(raw_chain(certs));
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

}  // namespace mitmlab
