// The ns-3 driver of the scanner's Scan core (scanner/scan.h): the same core `mitmlab scan`
// runs over epoll (scanner/live/epoll-transport.h), unchanged, on one node's ns-3 TCP.
// ConnectAction -> a TcpSocket (bind, connect), SendAction -> Send (queued while the send
// buffer is full), CloseAction -> Close; the sockets' events go back to the core with
// Simulator::Now() as the time; the core's next_timeout() is one simulator event.
// Records are kept (records()) and handed to `on_record` as each host's verdicts are ready;
// `on_done` is called once, when the scan is done and its last connections are closed.
//
//   SimScanDriver driver(node, std::move(scan), {.on_done = [] { Simulator::Stop(); }});
//   driver.Start();  Simulator::Run();  driver.records();
//
// The driver must outlive the simulation run (its events point at it); destroying it
// cancels them and closes any connection still open.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <ns3/node.h>
#include <ns3/nstime.h>
#include <ns3/ptr.h>

#include "scanner/scan.h"
#include "sim/sim-core-loop.h"
#include "sim/sim-tcp-connections.h"

namespace mitmlab {

struct SimScanOptions {
  std::function<void(const ScanRecord&)> on_record;
  std::function<void()> on_done;
};

class SimScanDriver {
 public:
  SimScanDriver(ns3::Ptr<ns3::Node> node, std::unique_ptr<Scan> scan, SimScanOptions options = {});
  SimScanDriver(const SimScanDriver&) = delete;
  SimScanDriver& operator=(const SimScanDriver&) = delete;

  // Starts the scan `delay` after the current simulated time.
  void Start(ns3::Time delay = ns3::Seconds(0));

  const Scan& scan() const { return *scan_; }
  const std::vector<ScanRecord>& records() const { return loop_.outputs(); }
  std::vector<ScanRecord> take_records() { return loop_.take_outputs(); }
  bool done() const { return loop_.done(); }
  const SimTcpStats& stats() const { return connections_.stats(); }

 private:
  std::unique_ptr<Scan> scan_;
  SimTcpConnections connections_;
  SimCoreLoop<Scan, ScanRecord> loop_;
};

}  // namespace mitmlab
