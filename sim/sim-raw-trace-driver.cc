#include "sim/sim-raw-trace-driver.h"

#include <variant>

namespace mitmlab {

Result<std::unique_ptr<SimRawTraceDriver>> SimRawTraceDriver::Create(ns3::Ptr<ns3::Node> node,
                                                                     std::unique_ptr<Localizer> localizer,
                                                                     SimTraceOptions options) {
  if (!localizer || localizer->config().mode != TraceMode::raw)
    return make_error("raw trace driver: the localizer must be in raw mode");
  const Ipv4Address address = localizer->config().local_address;
  std::unique_ptr<SimRawTraceDriver> driver(new SimRawTraceDriver(std::move(localizer), std::move(options)));
  SimRawTraceDriver* d = driver.get();
  Result<std::unique_ptr<RawPacketEndpoint>> endpoint = RawPacketEndpoint::Create(node, address, [d](ByteView ipv4) {
    d->localizer_->on_packet(SimNow(), ipv4);
    d->loop_.Pump();
  });
  if (!endpoint) return endpoint.error();
  driver->endpoint_ = std::move(*endpoint);
  return driver;
}

SimRawTraceDriver::SimRawTraceDriver(std::unique_ptr<Localizer> localizer, SimTraceOptions options)
    : localizer_(std::move(localizer)),
      loop_(*localizer_, &Localizer::take_results, [this](LocalizerAction& a) { Perform(a); },
            std::move(options.on_result), std::move(options.on_done)) {}

void SimRawTraceDriver::Start(ns3::Time delay) { loop_.Start(delay); }

// A send that fails (no route) is the network's outcome to the core: the probe hears
// nothing and times out, as a live raw socket's lost packet would.
void SimRawTraceDriver::Perform(LocalizerAction& action) {
  if (auto* raw = std::get_if<RawPacketAction>(&action))
    (void)endpoint_->Send(raw->ipv4);
  else
    ++ignored_actions_;
}

}  // namespace mitmlab
