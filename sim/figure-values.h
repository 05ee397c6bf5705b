// The published figures (sim/published-figures.h) measured by a run: for each figure, what
// the jobs the scenario bound to it (sim/report-spec.h) measured, and the same quantity from
// ground truth (the bumps' hijacks and the installed paths), so the report can set
// published, measured and true values side by side.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/published-figures.h"
#include "sim/report-spec.h"
#include "sim/run-results.h"

namespace mitmlab {

struct FigureValue {
  double count = 0;
  std::optional<double> total;  // "count of total"; none for a bare number
  std::string detail;           // e.g. "between 92.47.151.210 and 95.56.243.92"
};

// 6736 -> "6,736"; a fraction keeps one decimal ("340.5").
std::string format_count(double value);

// "459 of 6,736 (6.8%)", "5 (between ...)", "340 of 6,736 (5.0%)".
std::string format_figure_value(const FigureValue& value);

struct FigureRow {
  const PublishedFigure* figure = nullptr;
  std::vector<std::string> jobs;  // bound jobs ("" none)
  std::string note;               // the binding's note
  std::optional<FigureValue> measured, truth;
  std::string truth_note;  // why there is no truth value, when there is a measured one
  // Why a value is missing: "not measured by this scenario", "job 'x' did not run", ...
  std::string missing;
};

// One row per published figure, in published_figures() order.
std::vector<FigureRow> evaluate_figures(const RunResults& results, const ReportSpec& spec);

// [{id, description, source, published, jobs, measured: {count, total, share, text} | null,
//   truth: ... | null, note, missing}] for summary.json.
nlohmann::json figures_json(const std::vector<FigureRow>& rows);

}  // namespace mitmlab
