// Writes a finished run's result files (scenarios/README.md lists them) from its results
// and the lines only its world could render (sim/run-extras.h). The same for a run of one
// process and for the merged shards of a sharded one. The certificate authorities'
// certs/ca/ files are the runner's (they need its PKI).
#pragma once

#include <filesystem>

#include "net/result.h"
#include "sim/report-spec.h"
#include "sim/run-extras.h"
#include "sim/run-results.h"

namespace mitmlab {

// `out` exists and was cleared (RunOutput::open) before the run.
Status write_run_files(const std::filesystem::path& out, const ReportSpec& report, const RunResults& results,
                       RunExtras extras);

}  // namespace mitmlab
