// A TCP timestamp clock (RFC 7323 section 5.4) as seen from outside: one TSval and the time it
// was observed. The interceptor continues the clock of the side it impersonates from the last
// TSval it saw that side send.
#pragma once

#include <chrono>
#include <cstdint>

#include "net/clock.h"

namespace mitmlab {

// TSval(now) = tsval + whole milliseconds elapsed since seen_at.
//
// Granularity assumption: the clock ticks once per millisecond. ns-3 sets TSval to simulated
// milliseconds and Linux (since 4.13) uses a 1 ms clock, so continuing at 1 ms per ms keeps
// the peer's view monotonic and its RTT estimates right. We observe a TSval a little after it
// was sent (propagation to the box), so our continuation runs at most a few ms behind the
// real clock, never ahead: PAWS at the peer only asks that TSval not go backwards.
struct TcpTimestampClock {
  std::uint32_t tsval = 0;
  Timestamp seen_at{};

  std::uint32_t at(Timestamp now) const {
    auto elapsed = std::chrono::floor<std::chrono::milliseconds>(now - seen_at).count();
    return static_cast<std::uint32_t>(tsval + static_cast<std::uint64_t>(elapsed));
  }
};

}  // namespace mitmlab
