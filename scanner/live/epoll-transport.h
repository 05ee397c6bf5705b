// The live transport: drives a Scan core over nonblocking TCP sockets with epoll and a
// steady clock (Linux). Addresses are numeric IPv4 or IPv6 (a scanner's target list is
// addresses; names are not resolved here). Records are handed to `on_record` as soon as a
// host's verdicts are ready; `on_progress` (optional) is called at most once per `progress_every`.
#pragma once

#include <chrono>
#include <functional>

#include "net/result.h"
#include "scanner/scan.h"

namespace mitmlab {

struct LiveScanOptions {
  std::function<void(const ScanRecord&)> on_record;
  std::function<void(const Scan&)> on_progress;
  std::chrono::milliseconds progress_every{500};
};

struct LiveScanStats {
  std::uint64_t connects = 0;
  std::uint64_t connect_failures = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::chrono::nanoseconds elapsed{0};
};

// Runs `scan` to the end (scan.start() is called here). An error only for a local failure
// (epoll itself); network failures are the scan's outcomes.
Result<LiveScanStats> run_live_scan(Scan& scan, const LiveScanOptions& options);

}  // namespace mitmlab
