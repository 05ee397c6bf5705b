// What the two live drivers of the TTL localizer share (socket-trace-transport,
// raw-trace-transport): their options and counters, and TraceLoop, the event loop around a
// Localizer (epoll set, steady clock, timeouts, results, progress). Each driver adds its
// sockets to the epoll set and handles their events; TraceLoop does the rest.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "net/clock.h"
#include "net/result.h"
#include "scanner/localizer.h"

namespace mitmlab {

struct LiveTraceOptions {
  std::function<void(const TraceResult&)> on_result;
  // Called at most once per `progress_every` with the number of results so far.
  std::function<void(std::size_t results)> on_progress;
  std::chrono::milliseconds progress_every{500};
  // Set from a signal handler (SIGINT): the run stops with an error ("interrupted").
  const std::atomic<bool>* stop = nullptr;
};

struct LiveTraceStats {
  std::uint64_t connects = 0;          // socket mode
  std::uint64_t packets_sent = 0;      // raw mode: RawPacketActions sent
  std::uint64_t packets_received = 0;  // raw mode: packets handed to the localizer
  std::uint64_t icmp_errors = 0;       // ICMP errors reported with on_icmp (socket mode)
  std::string icmp_unavailable;        // socket mode: why no raw ICMP socket ("" if it opened)
  std::chrono::nanoseconds elapsed{0};
};

// Lets a raw ICMP socket receive only errors (destination unreachable, time exceeded,
// parameter problem), not every echo on a busy host. Best effort.
void keep_icmp_errors_only(int raw_icmp_fd);

class TraceLoop {
 public:
  TraceLoop(Localizer& localizer, const LiveTraceOptions& options);
  ~TraceLoop();
  TraceLoop(const TraceLoop&) = delete;
  TraceLoop& operator=(const TraceLoop&) = delete;

  // Creates the epoll set (the driver then adds its sockets).
  Status open();
  int epoll() const { return epoll_; }
  Timestamp now() const;

  // Starts the localizer and runs it to the end: `perform` drains its actions (called
  // after every event and at the end, for the last ones), `handle` takes each epoll event.
  // An error for epoll itself or a stop request.
  Status run(const std::function<void()>& perform,
             const std::function<void(const epoll_event&)>& handle);
  std::chrono::nanoseconds elapsed() const;

 private:
  bool deliver();  // hands finished results to on_result; true once the localizer is done
  // Waits for events, at most until the localizer's next timeout or the next progress line.
  Result<int> wait(epoll_event* events, int capacity);
  void tick();  // on_timeout and on_progress when due

  Localizer& localizer_;
  const LiveTraceOptions& options_;
  int epoll_ = -1;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_progress_;
  std::size_t results_ = 0;
};

}  // namespace mitmlab
