// Time as the sans-I/O cores see it: passed in by the adapter, never read from the OS.
// The ns-3 adapter passes Simulator::Now(); a live adapter passes a steady clock.
#pragma once

#include <chrono>

namespace mitmlab {

// A point in time, measured from an origin the adapter chooses (simulation start).
using Timestamp = std::chrono::nanoseconds;
using Duration = std::chrono::nanoseconds;

}  // namespace mitmlab
