// What the two ns-3 drivers of the TTL localizer (sim/sim-socket-trace-driver.h,
// sim/sim-raw-trace-driver.h) tell their caller: each host's TraceResult as it completes,
// and once, that the localizer is done.
#pragma once

#include <functional>

#include "scanner/localizer.h"

namespace mitmlab {

struct SimTraceOptions {
  std::function<void(const TraceResult&)> on_result;
  std::function<void()> on_done;
};

}  // namespace mitmlab
