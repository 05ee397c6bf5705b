#include "scanner/scan-record.h"

#include <fmt/core.h>

#include "scanner/certificate-summary.h"

namespace mitmlab {
namespace {

// From the handshake's own parse when the probe kept it (no second decode), else the DER.
std::optional<CertificateSummary> leaf_summary(const ProbeResult& probe) {
  if (!probe.certificates.empty() && probe.certificates.front())
    return summarize_certificate(probe.certificates.front().get());
  return summarize_certificate(probe.chain.front());
}

}  // namespace

ScanRecord make_scan_record(const std::string& address, std::uint16_t port,
                            const std::string& control_sni, const ProbeResult& control,
                            const std::string& sni, const ProbeResult& test,
                            const VerdictDetail& v) {
  ScanRecord r;
  r.address = address;
  r.port = port;
  r.sni = sni;
  r.control_sni = control_sni;
  r.verdict = v.verdict;
  r.row = v.row;
  r.attribution = v.attribution;
  r.untrusted = v.untrusted;
  r.chains_differ = v.chains_differ;
  r.reason = v.reason;
  r.test_outcome = test.outcome;
  r.test_alert = test.alert_name;
  r.chain_length = test.chain.size();
  r.test_chain = test.chain;
  r.control_chain = control.chain;
  if (!test.chain.empty()) {
    if (auto leaf = leaf_summary(test)) {
      r.leaf_subject = leaf->subject;
      r.leaf_issuer = leaf->issuer;
      r.leaf_sha256 = leaf->sha256;
    }
  }
  r.version = test.version;
  r.suite = test.suite_name;
  auto ms = [](const std::optional<Duration>& d) -> std::optional<double> {
    if (!d) return std::nullopt;
    return std::chrono::duration<double, std::milli>(*d).count();
  };
  r.connect_ms = ms(test.timings.connect);
  r.first_byte_ms = ms(test.timings.first_byte);
  r.handshake_ms = ms(test.timings.handshake);
  r.control_outcome = control.outcome;
  if (!control.chain.empty())
    if (auto leaf = leaf_summary(control))
      r.control_leaf_sha256 = leaf->sha256;
  return r;
}

nlohmann::json to_json(const ScanRecord& r) {
  using nlohmann::json;
  auto or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  json j;
  j["address"] = r.address;
  j["port"] = r.port;
  j["sni"] = r.sni;
  j["control_sni"] = or_null(r.control_sni);
  j["verdict"] = std::string(verdict_name(r.verdict));
  j["row"] = r.row;
  j["attribution"] = r.attribution ? json(r.attribution->label) : json(nullptr);
  j["untrusted"] = r.untrusted;
  j["chains_differ"] = r.chains_differ;
  j["reason"] = or_null(r.reason);
  j["test"] = {{"outcome", std::string(probe_outcome_name(r.test_outcome))},
               {"alert", or_null(r.test_alert)},
               {"leaf_subject", or_null(r.leaf_subject)},
               {"leaf_issuer", or_null(r.leaf_issuer)},
               {"leaf_sha256", or_null(r.leaf_sha256)},
               {"chain_length", r.chain_length},
               {"version", r.version ? json(fmt::format("{:#06x}", r.version)) : json(nullptr)},
               {"suite", or_null(r.suite)},
               {"connect_ms", r.connect_ms ? json(*r.connect_ms) : json(nullptr)},
               {"first_byte_ms", r.first_byte_ms ? json(*r.first_byte_ms) : json(nullptr)},
               {"handshake_ms", r.handshake_ms ? json(*r.handshake_ms) : json(nullptr)},
               {"retries", r.retries}};
  j["control"] = {{"outcome", std::string(probe_outcome_name(r.control_outcome))},
                  {"leaf_sha256", or_null(r.control_leaf_sha256)},
                  {"retries", r.control_retries}};
  j["profile"] = r.profile;
  return j;
}

std::map<std::string, std::vector<std::string>> injection_by_name(
    const std::vector<ScanRecord>& records) {
  std::map<std::string, std::vector<std::string>> out;
  for (const ScanRecord& r : records) {
    auto& hosts = out[r.sni];
    if (r.verdict == Verdict::injected) hosts.push_back(fmt::format("{}:{}", r.address, r.port));
  }
  return out;
}

}  // namespace mitmlab
