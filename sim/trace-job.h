// A trace job: the TTL localizer core (scanner/localizer.h), unchanged, run from a vantage
// node in raw mode (sim/sim-raw-trace-driver.h) or socket mode
// (sim/sim-socket-trace-driver.h), as the live `mitmlab trace` runs it on Linux.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ns3/node.h>
#include <ns3/ptr.h>

#include "net/result.h"
#include "sim/run-results.h"
#include "sim/scenario.h"
#include "sim/sim-raw-trace-driver.h"
#include "sim/sim-socket-trace-driver.h"

namespace mitmlab {

class TraceJob {
 public:
  static Result<std::unique_ptr<TraceJob>> create(const ScenarioJob& job, std::uint64_t seed,
                                                  Ipv4Address vantage_address, ns3::Ptr<ns3::Node> vantage,
                                                  std::vector<ScanHost> hosts, std::function<void()> on_done);
  void Start();
  bool Done() const { return m_done; }
  const std::vector<TraceResult>& Results() const;
  // Results, timing and identity; score and paths are filled by the runner.
  TraceJobResult Outcome() const;
  std::string Progress() const;

 private:
  TraceJob() = default;
  const ScenarioJob* m_job = nullptr;
  Ipv4Address m_vantageAddress;
  std::size_t m_hosts = 0;
  std::unique_ptr<SimRawTraceDriver> m_raw;
  std::unique_ptr<SimSocketTraceDriver> m_socket;
  std::function<void()> m_onDone;
  Timestamp m_started{}, m_finished{};
  bool m_done = false;
};

}  // namespace mitmlab
