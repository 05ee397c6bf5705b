// Time for the sans-I/O cores (Scan, Localizer) run inside ns-3: Simulator::Now() as a
// Timestamp (nanoseconds since the simulation began), and the one pending simulator event a
// driver keeps for its core's next_timeout() (style.md: one real timer per engine).
#pragma once

#include <functional>
#include <optional>

#include <ns3/event-id.h>
#include <ns3/nstime.h>

#include "net/clock.h"

namespace mitmlab {

Timestamp SimNow();
ns3::Time ToSimTime(Duration duration);

class SimCoreTimer {
 public:
  explicit SimCoreTimer(std::function<void()> fire) : fire_(std::move(fire)) {}
  ~SimCoreTimer() { Disarm(); }
  SimCoreTimer(const SimCoreTimer&) = delete;
  SimCoreTimer& operator=(const SimCoreTimer&) = delete;

  // Keeps one event at `at` (now, if `at` has passed); none for nullopt. An unchanged
  // deadline keeps the pending event.
  void Arm(std::optional<Timestamp> at);
  void Disarm();

 private:
  void Fire();

  std::function<void()> fire_;
  ns3::EventId event_;
  std::optional<Timestamp> armed_at_;
};

}  // namespace mitmlab
