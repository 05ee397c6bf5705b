#include "sim/run-report.h"

#include <algorithm>
#include <chrono>

#include <fmt/core.h>

#include "interceptor/engine-config.h"
#include "interceptor/forge/certificate-description.h"
#include "net/openssl.h"
#include "scanner/certificate-summary.h"

namespace mitmlab {
namespace {

double seconds(Timestamp t) { return std::chrono::duration<double>(t).count(); }

nlohmann::json timing_json(const JobTiming& t) {
  return {{"started_s", seconds(t.started)}, {"finished_s", seconds(t.finished)}, {"completed", t.completed}};
}

std::string calendar(std::time_t start, Timestamp offset) {
  using namespace std::chrono;
  return format_utc_time(sys_time<nanoseconds>(std::chrono::seconds(start)) + offset);
}

std::string sni_label(const std::string& sni) { return sni.empty() ? "no SNI" : sni; }

std::string ratio_text(const std::optional<double>& v) { return v ? fmt::format("{:.3f}", *v) : "n/a"; }

std::string address_text(const std::optional<Ipv4Address>& a) { return a ? a->to_string() : "?"; }

}  // namespace

nlohmann::json to_json(const FetchJobResult& f) {
  std::string issuer;
  if (!f.chain.empty())
    if (auto leaf = summarize_certificate(f.chain.front())) issuer = leaf->issuer;
  return {{"name", f.name},
          {"kind", "fetch"},
          {"vantage", f.vantage},
          {"server", f.server},
          {"address", f.server_address.to_string()},
          {"sni", f.sni},
          {"path", f.path},
          {"handshake_done", f.handshake_done},
          {"verified", f.verified},
          {"status_line", f.status_line},
          {"body_bytes", f.body_bytes},
          {"body_intact", f.body_intact},
          {"leaf_issuer", issuer},
          {"error", f.error},
          {"truth_hijacked", f.truth_hijacked},
          {"timing", timing_json(f.timing)}};
}

nlohmann::json summary_json(const RunResults& r) {
  nlohmann::json jobs = nlohmann::json::array();
  for (const std::string& name : r.job_order) {
    for (const ScanJobResult& s : r.scans) {
      if (s.name != name) continue;
      nlohmann::json j = to_json(s.score);
      j["name"] = s.name;
      j["kind"] = "scan";
      j["vantage"] = s.vantage;
      j["snis"] = s.snis;
      j["control_sni"] = s.control_sni.empty() ? nlohmann::json() : nlohmann::json(s.control_sni);
      j["timing"] = timing_json(s.timing);
      jobs.push_back(std::move(j));
    }
    for (const TraceJobResult& t : r.traces) {
      if (t.name != name) continue;
      nlohmann::json j = to_json(t.score);
      j["name"] = t.name;
      j["kind"] = "trace";
      j["vantage"] = t.vantage;
      j["mode"] = t.mode;
      j["sni"] = t.sni;
      j["control_sni"] = t.control_sni.empty() ? nlohmann::json() : nlohmann::json(t.control_sni);
      j["timing"] = timing_json(t.timing);
      jobs.push_back(std::move(j));
    }
    for (const FetchJobResult& f : r.fetches)
      if (f.name == name) jobs.push_back(to_json(f));
    for (const FingerprintJobResult& p : r.fingerprints) {
      if (p.name != name) continue;
      std::map<std::string, std::size_t> by_ja3;
      for (const ObservedClientHello& h : p.hellos) ++by_ja3[h.ja3];
      jobs.push_back({{"name", p.name},
                      {"kind", "fingerprint"},
                      {"server", p.server},
                      {"address", p.server_address.to_string()},
                      {"client_hellos", p.hellos.size()},
                      {"ja3_counts", by_ja3},
                      {"timing", timing_json(p.timing)}});
    }
  }
  nlohmann::json bumps = nlohmann::json::array();
  for (const BumpResult& b : r.bumps)
    bumps.push_back({{"name", b.name}, {"link", {b.a, b.b}}, {"events", b.events}, {"counters", to_json(b.counters)}});
  return {{"scenario", r.scenario},
          {"seed", r.seed},
          {"start", calendar(r.start, {})},
          {"sim_seconds", r.sim_seconds},
          {"jobs", jobs},
          {"bumps", bumps}};
}

std::string format_traceroute(const TraceResult& t, const std::string& test_sni,
                              const std::string& control_sni) {
  std::string out = fmt::format("  {:>3}  {:<18} {:<22} {}\n", "TTL", "hop",
                                fmt::format("test ({})", sni_label(test_sni)),
                                fmt::format("control ({})", sni_label(control_sni)));
  auto answered_at = [](const TraceSweep& s, unsigned ttl) { return s.answer_ttl && *s.answer_ttl == ttl; };
  for (const TraceHop& h : t.hops) {
    if (t.injection_ttl && t.verdict == "injected-before-server" && h.ttl == *t.injection_ttl)
      out += fmt::format("       ---- certificate injection occurred between hops {} and {} ----\n",
                         h.ttl - 1, h.ttl);
    std::string address = h.address ? h.address->to_string() : "*";
    if (!h.address && answered_at(t.control, h.ttl)) address = t.host.address + " (server)";
    std::string test = answered_at(t.test, h.ttl) ? (t.verdict == "no-injection" ? "answered" : "ANSWERED (injected)")
                                                  : (t.test.answer_ttl && h.ttl > *t.test.answer_ttl ? "" : "time exceeded");
    std::string control = answered_at(t.control, h.ttl) ? "answered (server)" : "time exceeded";
    if (!h.address && !answered_at(t.test, h.ttl)) test = test.empty() ? "" : "*";
    if (!h.address && !answered_at(t.control, h.ttl)) control = "*";
    out += fmt::format("  {:>3}  {:<18} {:<22} {}\n", h.ttl, address, test, control);
  }
  return out;
}

std::string describe_run(const RunResults& r, std::size_t max_traceroutes) {
  std::string out = fmt::format("mitmlab run {}: seed {}, start {}, {:.1f} simulated seconds\n",
                                r.scenario, r.seed, calendar(r.start, {}), r.sim_seconds);
  bool shown_forgery = false;
  for (const std::string& name : r.job_order) {
    for (const ScanJobResult& s : r.scans) {
      if (s.name != name) continue;
      std::string snis;
      for (const std::string& n : s.snis) snis += (snis.empty() ? "" : ", ") + n;
      out += fmt::format("\nScan '{}' from {} ({}): {} hosts, test SNI {}, control {}\n", s.name, s.vantage,
                         s.vantage_address.to_string(), s.score.hosts, snis, sni_label(s.control_sni));
      for (const ScanRecord& rec : s.records) {
        if (s.records.size() > 12 && rec.verdict != Verdict::injected) continue;
        out += fmt::format("  {:<16} {:<16} {:<15} {}\n", rec.address, rec.sni, verdict_name(rec.verdict),
                           rec.verdict == Verdict::injected ? "issuer " + rec.leaf_issuer : rec.reason);
      }
      out += fmt::format("  intercepted hosts: {} measured, {} true; precision {}, recall {}\n",
                         s.score.intercepted, s.score.truth_intercepted, ratio_text(s.score.precision),
                         ratio_text(s.score.recall));
      if (!shown_forgery) {
        for (const ScanRecord& rec : s.records) {
          if (rec.verdict != Verdict::injected || rec.test_chain.empty() || rec.control_chain.empty()) continue;
          auto forged = x509_from_der(rec.test_chain.front());
          auto original = x509_from_der(rec.control_chain.front());
          if (!forged || !original) continue;
          out += fmt::format("\nForged certificate beside the original ({}, SNI {}; the original is what the "
                             "control drew):\n",
                             rec.address, rec.sni);
          out += explain_forgery(*original->get(), *forged->get());
          shown_forgery = true;
          break;
        }
      }
    }
    for (const TraceJobResult& t : r.traces) {
      if (t.name != name) continue;
      out += fmt::format("\nTrace '{}' ({} mode) from {}: {} hosts, {} localized ({} before the server), "
                         "accuracy {}\n",
                         t.name, t.mode, t.vantage, t.score.hosts, t.score.localized, t.score.before_server,
                         ratio_text(t.score.accuracy));
      std::size_t shown = 0;
      for (const TraceResult& res : t.results) {
        if (shown++ == max_traceroutes) break;
        out += fmt::format("  {}: {}", res.host.address, res.verdict);
        if (res.hops_before_server) out += fmt::format(", {} hops before the server", *res.hops_before_server);
        out += "\n" + format_traceroute(res, t.sni, t.control_sni);
        if (auto p = t.paths.find(*Ipv4Address::parse(res.host.address)); p != t.paths.end())
          for (const PathBump& b : p->second.bumps)
            out += fmt::format("  ground truth: bump {} between {} and {}\n", b.name, address_text(b.hop_before),
                               address_text(b.hop_after));
      }
    }
    for (const FetchJobResult& f : r.fetches) {
      if (f.name != name) continue;
      std::string issuer = "none";
      if (!f.chain.empty())
        if (auto leaf = summarize_certificate(f.chain.front())) issuer = leaf->issuer;
      out += fmt::format("\nFetch '{}' from {}: GET https://{}{} ({}): {}, {} body bytes{}; certificate issued by "
                         "{}, {} by the client (it trusts the box's root); {}\n",
                         f.name, f.vantage, f.sni, f.path, f.server_address.to_string(),
                         f.status_line.empty() ? "no response" : f.status_line, f.body_bytes,
                         f.body_intact ? " (intact)" : "", issuer, f.verified ? "accepted" : "rejected",
                         f.truth_hijacked ? "the box relayed it" : "the box did not touch it");
      if (!f.error.empty()) out += "  error: " + f.error + "\n";
    }
    for (const FingerprintJobResult& p : r.fingerprints) {
      if (p.name != name) continue;
      out += fmt::format("\nFingerprints '{}': {} ClientHellos reached {} ({})\n", p.name, p.hellos.size(),
                         p.server, p.server_address.to_string());
      std::map<std::pair<std::string, std::string>, std::size_t> seen;
      for (const ObservedClientHello& h : p.hellos) ++seen[{h.ja3, h.client.substr(0, h.client.find(':'))}];
      for (const auto& [key, count] : seen)
        out += fmt::format("  JA3 {} from {} x{}\n", key.first, key.second, count);
    }
  }
  for (const BumpResult& b : r.bumps)
    out += fmt::format("\nBump {} ({} -- {}): {} flows seen, {} hijacked, {} origin checks\n", b.name, b.a, b.b,
                       b.counters.flows_seen, b.counters.flows_hijacked, b.counters.origin_checks);
  return out;
}

}  // namespace mitmlab
