#include "sim/sim-core-timer.h"

#include <algorithm>

#include <ns3/simulator.h>

namespace mitmlab {

Timestamp SimNow() { return Timestamp(ns3::Simulator::Now().GetNanoSeconds()); }

ns3::Time ToSimTime(Duration duration) { return ns3::NanoSeconds(duration.count()); }

void SimCoreTimer::Arm(std::optional<Timestamp> at) {
  if (!at) {
    Disarm();
    return;
  }
  if (armed_at_ == at && event_.IsRunning()) return;
  Disarm();
  armed_at_ = at;
  const Duration delay = std::max(Duration::zero(), *at - SimNow());
  event_ = ns3::Simulator::Schedule(ToSimTime(delay), &SimCoreTimer::Fire, this);
}

void SimCoreTimer::Disarm() {
  ns3::Simulator::Cancel(event_);
  armed_at_.reset();
}

void SimCoreTimer::Fire() {
  armed_at_.reset();
  fire_();
}

}  // namespace mitmlab
