// What every ns-3 driver of a sans-I/O core (Scan, Localizer) shares: start the core at a
// simulated time, drain poll_action() into the driver's `perform`, collect the core's
// outputs (records, results) as they come, keep the one simulator event at next_timeout(),
// and say once when the core is done. Pump() after every report to the core; a Pump() from inside
// `perform` (a transport that fails a connect at once) is folded into the running one.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include <ns3/event-id.h>
#include <ns3/nstime.h>
#include <ns3/simulator.h>

#include "sim/sim-core-timer.h"

namespace mitmlab {

template <class Core, class Output>
class SimCoreLoop {
 public:
  using Action = typename decltype(std::declval<Core&>().poll_action())::value_type;
  using Take = std::vector<Output> (Core::*)();

  // `take` is the core's "outputs since the last call"; each output is kept (outputs()) and
  // handed to `on_output`; `on_done` is called once, when the core is done and its last
  // actions (the closes) are performed. Both may be empty.
  SimCoreLoop(Core& core, Take take, std::function<void(Action&)> perform,
              std::function<void(const Output&)> on_output, std::function<void()> on_done)
      : core_(core),
        take_(take),
        perform_(std::move(perform)),
        on_output_(std::move(on_output)),
        on_done_(std::move(on_done)),
        timer_([this] {
          core_.on_timeout(SimNow());
          Pump();
        }) {}
  ~SimCoreLoop() { ns3::Simulator::Cancel(start_); }
  SimCoreLoop(const SimCoreLoop&) = delete;
  SimCoreLoop& operator=(const SimCoreLoop&) = delete;

  // core.start() `delay` from now.
  void Start(ns3::Time delay) {
    start_ = ns3::Simulator::Schedule(delay, &SimCoreLoop::StartNow, this);
  }

  void Pump() {
    if (pumping_) return;  // the running drain picks up what was just queued
    pumping_ = true;
    while (auto action = core_.poll_action()) perform_(*action);
    pumping_ = false;
    for (Output& out : (core_.*take_)()) {
      if (on_output_) on_output_(out);
      outputs_.push_back(std::move(out));
    }
    if (core_.done()) {
      timer_.Disarm();
      if (!done_reported_) {
        done_reported_ = true;
        if (on_done_) on_done_();
      }
    } else {
      timer_.Arm(core_.next_timeout());
    }
  }

  bool done() const { return done_reported_; }
  const std::vector<Output>& outputs() const { return outputs_; }
  // Hands the kept outputs over (outputs() is empty afterwards).
  std::vector<Output> take_outputs() { return std::exchange(outputs_, {}); }

 private:
  void StartNow() {
    core_.start(SimNow());
    Pump();
  }

  Core& core_;
  Take take_;
  std::function<void(Action&)> perform_;
  std::function<void(const Output&)> on_output_;
  std::function<void()> on_done_;
  SimCoreTimer timer_;
  ns3::EventId start_;
  std::vector<Output> outputs_;
  bool pumping_ = false;
  bool done_reported_ = false;
};

}  // namespace mitmlab
