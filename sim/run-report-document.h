// report.md and report.html of a run (issue 6): the published figures beside the measured and
// the true ones, each job's precision / recall / localisation accuracy with every value below
// 1.0 explained, the hops-before-server histogram, the top hop pairs, intercepted hosts over
// time, one example traceroute, one forged certificate beside its original, the bumps'
// counters and the other jobs. Both are pure functions of the results and the scenario's
// report section: no wall-clock time, fixed number formatting, so reruns are byte-identical.
// The HTML page is self-contained (inline CSS and SVG, no scripts, no external links); the
// Markdown links the same plots as SVG files, which the caller writes beside it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/result.h"
#include "sim/report-spec.h"
#include "sim/run-output.h"
#include "sim/run-results.h"

namespace mitmlab {

struct RunReport {
  std::string markdown;  // report.md
  std::string html;      // report.html
  // (path relative to the report, SVG text): "plots/<job>-hops-before-server.svg", ...
  std::vector<std::pair<std::string, std::string>> plots;
};

RunReport build_run_report(const RunResults& results, const ReportSpec& spec);
std::string report_markdown(const RunResults& results, const ReportSpec& spec);
std::string report_html(const RunResults& results, const ReportSpec& spec);

// Writes report.md, report.html and plots/*.svg into the run's directory.
Status write_run_report(const RunOutput& out, const RunResults& results, const ReportSpec& spec);

// For summary.json: {"figures": figures_json(...), "explanations": {job name: [sentences]}}
// (every scan and trace job has an entry; empty when all its scores are 1.0).
nlohmann::json report_summary_json(const RunResults& results, const ReportSpec& spec);

}  // namespace mitmlab
