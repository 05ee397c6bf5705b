// A scan job: the scanner's Scan core (scanner/scan.h), unchanged, run from a vantage node
// through the sim transport (sim/sim-scan-driver.h). Trust is the scenario's client roots;
// certificates are judged at the job's calendar time.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ns3/node.h>
#include <ns3/ptr.h>

#include "net/result.h"
#include "net/trust-store.h"
#include "sim/run-results.h"
#include "sim/scenario.h"
#include "sim/sim-scan-driver.h"

namespace mitmlab {

class ScanJob {
 public:
  // `at` is the calendar time certificates are judged at (the job's start).
  static Result<std::unique_ptr<ScanJob>> create(const ScenarioJob& job, Ipv4Address vantage_address,
                                                 ns3::Ptr<ns3::Node> vantage,
                                                 std::vector<ScanHost> hosts,
                                                 std::shared_ptr<const TrustStore> trust, std::time_t at,
                                                 std::function<void()> on_done);
  void Start();
  bool Done() const { return m_done; }
  const std::vector<ScanRecord>& Records() const { return m_driver->records(); }
  const std::vector<Timestamp>& RecordTimes() const { return m_recordTimes; }  // parallel to Records()
  std::size_t Hosts() const { return m_hosts; }
  // Records, timing and identity; the score is filled by the runner (it needs ground truth).
  // Once the job is over: hands its records over rather than copying them (Records() is
  // empty afterwards); a full run's records hold every chain it saw.
  ScanJobResult TakeOutcome();
  std::string Progress() const;

 private:
  ScanJob() = default;
  const ScenarioJob* m_job = nullptr;
  Ipv4Address m_vantageAddress;
  std::size_t m_hosts = 0;
  std::unique_ptr<SimScanDriver> m_driver;
  std::function<void()> m_onDone;
  Timestamp m_started{}, m_finished{};
  std::vector<Timestamp> m_recordTimes;  // when each record completed
  bool m_done = false;
};

}  // namespace mitmlab
