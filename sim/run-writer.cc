#include "sim/run-writer.h"

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/run-output.h"
#include "sim/run-report-document.h"
#include "sim/run-report.h"

namespace mitmlab {
namespace {

double seconds_of(Timestamp t) { return std::chrono::duration<double>(t).count(); }

}  // namespace

Status write_run_files(const std::filesystem::path& dir, const ReportSpec& report, const RunResults& r,
                       RunExtras extras) {
  const RunOutput out = RunOutput::reopen(dir);
  nlohmann::json summary = summary_json(r);
  summary["report"] = report_summary_json(r, report);
  if (Status st = out.write_json("summary.json", summary); !st) return st;
  if (Status st = write_run_report(out, r, report); !st) return st;
  if (Status st = out.write_text("summary.txt", describe_run(r)); !st) return st;

  // certs/ is built beside the lines (each is seconds of a full run's end, which nothing
  // else overlaps); it reads the results, as the lines do, and writes only under certs/.
  std::future<Status> archived = std::async(std::launch::async, [&r, &out] {
    CertificateArchive certs;
    for (const ScanJobResult& job : r.scans)
      for (const ScanRecord& rec : job.records) {
        nlohmann::json where = {{"job", job.name}, {"host", rec.address}, {"port", rec.port}};
        certs.add(rec.control_chain, "original", where);
        where["sni"] = rec.sni;
        certs.add(rec.test_chain, "test", where);
      }
    for (const FetchJobResult& f : r.fetches)
      certs.add(f.chain, "test", {{"job", f.name}, {"host", f.server_address.to_string()}, {"sni", f.sni}});
    return certs.write(out);
  });
  // Lines are kept as text: a full run has a few hundred thousand of them, and a JSON
  // object costs several times its text.
  std::vector<std::string> scan_lines, trace_lines, fetch_lines, hello_lines, truth_lines, event_lines;
  for (const ScanJobResult& job : r.scans)
    for (const ScanRecord& rec : job.records) {
      nlohmann::json line = to_json(rec);
      line["job"] = job.name;
      line["vantage"] = job.vantage;
      scan_lines.push_back(line.dump());
    }
  for (const TraceJobResult& job : r.traces)
    for (const TraceResult& t : job.results) {
      nlohmann::json line = to_json(t);
      line["job"] = job.name;
      line["vantage"] = job.vantage;
      trace_lines.push_back(line.dump());
    }
  for (const FetchJobResult& f : r.fetches) fetch_lines.push_back(to_json(f).dump());
  for (const FingerprintJobResult& p : r.fingerprints)
    for (const ObservedClientHello& h : p.hellos)
      hello_lines.push_back(nlohmann::json{{"job", p.name},
                                           {"server", p.server},
                                           {"time_s", seconds_of(h.time)},
                                           {"client", h.client},
                                           {"sni", h.sni},
                                           {"ja3", h.ja3},
                                           {"ja3_string", h.ja3_string},
                                           {"ja4", h.ja4},
                                           {"legacy_version", h.tls_version}}
                                .dump());

  // Ground truth: each server as the world made it, each measured path, each decision.
  extras.put_in_order();
  truth_lines = std::move(extras.server_lines);
  for (RunExtras::PathLine& p : extras.path_lines) truth_lines.push_back(std::move(p.line));
  for (RunExtras::BumpLine& d : extras.decision_lines) truth_lines.push_back(std::move(d.line));
  // Several bumps: one log in time order (bump order at equal times).
  event_lines.reserve(extras.event_lines.size());
  for (RunExtras::BumpLine& e : extras.event_lines) event_lines.push_back(std::move(e.line));
  extras = {};

  for (auto [name, lines] : {std::pair{"scan.jsonl", &scan_lines}, std::pair{"trace.jsonl", &trace_lines},
                             std::pair{"fetch.jsonl", &fetch_lines}, std::pair{"fingerprints.jsonl", &hello_lines},
                             std::pair{"ground_truth.jsonl", &truth_lines}, std::pair{"events.jsonl", &event_lines}})
    if (Status st = out.write_jsonl(name, *lines); !st) {
      archived.wait();
      return st;
    }
  return archived.get();
}

}  // namespace mitmlab
