// The ns-3 driver of the TTL localizer (scanner/localizer.h) in socket mode: the core runs
// unchanged on one node's ns-3 TCP (sim/sim-tcp-connections.h). A fresh TcpSocket per TTL;
// SendAction.ttl becomes the socket's IP TTL (Socket::SetIpTtl: TcpSocketBase tags every
// segment it sends from then on with it, retransmissions included); ICMP errors about the
// connection's packets reach the core through on_icmp with the router's address (the
// socket's IcmpCallback: ns-3's TCP matches the quoted ports to the socket, as Linux does
// for IP_RECVERR). Results are kept (results()) and handed to `on_result` as they complete.
//
// The driver must outlive the simulation run; destroying it cancels its events and closes
// any connection still open.
#pragma once

#include <memory>
#include <vector>

#include <ns3/node.h>
#include <ns3/nstime.h>
#include <ns3/ptr.h>

#include "net/result.h"
#include "scanner/localizer.h"
#include "sim/sim-core-loop.h"
#include "sim/sim-tcp-connections.h"
#include "sim/sim-trace-options.h"

namespace mitmlab {

class SimSocketTraceDriver {
 public:
  // An error unless the localizer is in socket mode.
  static Result<std::unique_ptr<SimSocketTraceDriver>> Create(ns3::Ptr<ns3::Node> node,
                                                              std::unique_ptr<Localizer> localizer,
                                                              SimTraceOptions options = {});
  SimSocketTraceDriver(const SimSocketTraceDriver&) = delete;
  SimSocketTraceDriver& operator=(const SimSocketTraceDriver&) = delete;

  // Starts the sweeps `delay` after the current simulated time.
  void Start(ns3::Time delay = ns3::Seconds(0));

  const Localizer& localizer() const { return *localizer_; }
  const std::vector<TraceResult>& results() const { return loop_.outputs(); }
  bool done() const { return loop_.done(); }
  const SimTcpStats& stats() const { return connections_.stats(); }
  std::uint64_t ignored_actions() const { return ignored_actions_; }  // raw actions: none expected

 private:
  SimSocketTraceDriver(ns3::Ptr<ns3::Node> node, std::unique_ptr<Localizer> localizer, SimTraceOptions options);

  std::unique_ptr<Localizer> localizer_;
  SimTcpConnections connections_;
  SimCoreLoop<Localizer, TraceResult> loop_;
  std::uint64_t ignored_actions_ = 0;
};

}  // namespace mitmlab
