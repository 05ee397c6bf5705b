// Why a job's precision, recall or localisation accuracy is below 1.0 (or n/a), computed
// from the run's own data: which records or hosts disagree with ground truth, grouped by
// cause (the box switched off while the probe ran, the probe timed out, a hijacked earlier
// attempt followed by an untouched retry, a wrong hop pair, ...) with counts and a few
// examples. Issue 6: any figure below 1.0 is explained, never hidden.
#pragma once

#include <string>
#include <vector>

#include "sim/run-results.h"

namespace mitmlab {

// One sentence per cause; empty when every score is 1.0.
std::vector<std::string> explain_scan_score(const ScanJobResult& job, const RunResults& run);
std::vector<std::string> explain_trace_score(const TraceJobResult& job, const RunResults& run);

// Calendar time of a simulation time in this run, "2019-07-21T10:00:01Z".
std::string run_calendar_time(const RunResults& run, Timestamp t);

}  // namespace mitmlab
