// The figures the 2019 measurements published (facts.md §1, §2, §6, §7), as data: a stable
// id, what was measured, the value as published and where it comes from. A scenario's report
// section (sim/report-spec.h) binds figures to its jobs; sim/figure-values.h computes each
// bound figure's measured and ground-truth values from a run, so the report can set them
// beside the published one. Each figure says how a job measures it (`measure`): one
// definition per kind, so a scaled-down scenario compares shares, not raw counts.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/ipv4-address.h"

namespace mitmlab {

enum class FigureMeasure {
  scan_hosts,            // hosts the bound scan jobs measured
  scan_intercepted,      // hosts judged intercepted, of the hosts scanned
  vantages_intercepted,  // bound scan jobs (one per vantage) that saw any interception, of those bound
  median_intercepted,    // the median over the bound scan jobs of intercepted hosts
  trace_before_server,   // traced hosts localized before the server, of the hosts traced
  trace_hop_counts,      // of those, the ones `hop_counts` hops before the server
  trace_hop_pairs,       // localized hosts whose hop pair is in hops_before x hops_after
  trace_injection_hop,   // the TTL at which the first localized host's injection was seen
  names_triggered,       // test SNIs that drew an injection on some host, of the SNIs tried
};
std::string_view figure_measure_name(FigureMeasure measure);
// The job kind ("scan" or "trace") a measure reads.
std::string_view figure_measure_job_kind(FigureMeasure measure);

struct PublishedFigure {
  std::string id;           // stable, used in scenario files and summary.json
  std::string description;  // what was measured, in a sentence
  std::string published;    // the value as published, e.g. "459 of 6,736 (7.0%)"
  std::string source;       // "facts.md §7"
  FigureMeasure measure = FigureMeasure::scan_hosts;
  std::optional<double> count, total;  // the published numbers, where there are any
  std::vector<unsigned> hop_counts;    // trace_hop_counts
  std::vector<Ipv4Address> hops_before, hops_after;  // trace_hop_pairs
};

// Every figure, in the order the report lists them.
const std::vector<PublishedFigure>& published_figures();
const PublishedFigure* find_published_figure(std::string_view id);

}  // namespace mitmlab
