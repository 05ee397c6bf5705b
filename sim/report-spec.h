// The "report" section of a scenario file: which job measures which published figure
// (sim/published-figures.h), and a few choices for report.md / report.html. Plain values so
// the scenario parser can read it (parse_report_spec) and the report can use it; figures no
// job is bound to are listed as "not measured by this scenario".
//
//   "report": {
//     "title": "Kazakhstan, 2019-07-21",          // optional; default "mitmlab run <scenario>"
//     "figures": {
//       "us_intercepted": {"job": "scan-us"},     // one job ...
//       "atlas_probes_intercepted": {"jobs": ["atlas-1", "atlas-2"], "note": "5 probes, not 52"}
//     },
//     "example_trace": {"job": "trace-raw", "host": "178.89.112.20"},  // optional; both keys optional
//     "top_hop_pairs": 10                         // rows in the hop pair table, 1..100
//   }
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/result.h"

namespace mitmlab {

struct ScenarioJob;  // sim/scenario.h, which may hold a ReportSpec: no include either way

struct FigureBinding {
  std::string figure;             // a PublishedFigure id
  std::vector<std::string> jobs;  // job names ("job" in the file is a list of one)
  std::string note;               // shown in the report's note column
};

struct ReportSpec {
  std::string title;
  std::vector<FigureBinding> figures;  // sorted by figure id
  std::string example_trace_job;       // "" = the first trace job with a localized host
  std::string example_trace_host;      // "" = that job's first localized host
  std::size_t top_hop_pairs = 10;
};

// `report` is the value of the "report" key. Errors read
// "scenario <source>: <what> at /report/<pointer>" like the scenario parser's.
Result<ReportSpec> parse_report_spec(const nlohmann::json& report, std::string_view source);

// Every bound job exists in `jobs` and has the kind its figure reads (scan or trace).
Status check_report_spec(const ReportSpec& spec, const std::vector<ScenarioJob>& jobs, std::string_view source);

// The form parse_report_spec reads back to an equal value.
nlohmann::json to_json(const ReportSpec& spec);

}  // namespace mitmlab
