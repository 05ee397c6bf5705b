// The ns-3 driver of the TTL localizer (scanner/localizer.h) in raw mode: the core crafts
// whole IPv4 packets (handshake at TTL 64, the hello at rising TTLs) and reads every packet
// for its local_address; here they leave and arrive through a RawPacketEndpoint
// (sim/raw-packet-endpoint.h) on the vantage node, which also keeps the node's own TCP from
// answering the probe's SYN-ACKs with RSTs. LocalizerConfig::local_address must be one of
// the node's addresses.
//
// The driver must outlive the simulation run; destroying it cancels its events and frees
// the endpoint (its sockets and claimed TCP tuples).
#pragma once

#include <memory>
#include <vector>

#include <ns3/node.h>
#include <ns3/nstime.h>
#include <ns3/ptr.h>

#include "net/result.h"
#include "scanner/localizer.h"
#include "sim/raw-packet-endpoint.h"
#include "sim/sim-core-loop.h"
#include "sim/sim-trace-options.h"

namespace mitmlab {

class SimRawTraceDriver {
 public:
  // An error unless the localizer is in raw mode and its local_address is the node's.
  static Result<std::unique_ptr<SimRawTraceDriver>> Create(ns3::Ptr<ns3::Node> node,
                                                           std::unique_ptr<Localizer> localizer,
                                                           SimTraceOptions options = {});
  SimRawTraceDriver(const SimRawTraceDriver&) = delete;
  SimRawTraceDriver& operator=(const SimRawTraceDriver&) = delete;

  // Starts the sweeps `delay` after the current simulated time.
  void Start(ns3::Time delay = ns3::Seconds(0));

  const Localizer& localizer() const { return *localizer_; }
  const std::vector<TraceResult>& results() const { return loop_.outputs(); }
  bool done() const { return loop_.done(); }
  const RawPacketEndpointStats& stats() const { return endpoint_->stats(); }
  std::uint64_t ignored_actions() const { return ignored_actions_; }  // socket actions: none expected

 private:
  SimRawTraceDriver(std::unique_ptr<Localizer> localizer, SimTraceOptions options);
  void Perform(LocalizerAction& action);

  std::unique_ptr<Localizer> localizer_;
  std::unique_ptr<RawPacketEndpoint> endpoint_;
  SimCoreLoop<Localizer, TraceResult> loop_;
  std::uint64_t ignored_actions_ = 0;
};

}  // namespace mitmlab
