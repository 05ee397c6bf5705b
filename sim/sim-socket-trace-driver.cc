#include "sim/sim-socket-trace-driver.h"

namespace mitmlab {

Result<std::unique_ptr<SimSocketTraceDriver>> SimSocketTraceDriver::Create(ns3::Ptr<ns3::Node> node,
                                                                           std::unique_ptr<Localizer> localizer,
                                                                           SimTraceOptions options) {
  if (!localizer || localizer->config().mode != TraceMode::socket)
    return make_error("socket trace driver: the localizer must be in socket mode");
  return std::unique_ptr<SimSocketTraceDriver>(
      new SimSocketTraceDriver(node, std::move(localizer), std::move(options)));
}

SimSocketTraceDriver::SimSocketTraceDriver(ns3::Ptr<ns3::Node> node, std::unique_ptr<Localizer> localizer,
                                           SimTraceOptions options)
    : localizer_(std::move(localizer)),
      connections_(node, CoreTcpEvents(*localizer_, [this] { loop_.Pump(); })),
      loop_(
          *localizer_, &Localizer::take_results,
          [this](LocalizerAction& a) {
            if (!connections_.Perform(a)) ++ignored_actions_;
          },
          std::move(options.on_result), std::move(options.on_done)) {}

void SimSocketTraceDriver::Start(ns3::Time delay) { loop_.Start(delay); }

}  // namespace mitmlab
