#include "sim/scan-job.h"

#include <fmt/core.h>
#include <ns3/simulator.h>

#include "sim/sim-core-timer.h"

#include "scanner/probe-hello-profile.h"

namespace mitmlab {
Result<std::unique_ptr<ScanJob>> ScanJob::create(const ScenarioJob& job, Ipv4Address vantage_address,
                                                 ns3::Ptr<ns3::Node> vantage, std::vector<ScanHost> hosts,
                                                 std::shared_ptr<const TrustStore> trust, std::time_t at,
                                                 std::function<void()> on_done) {
  const ScanJobSpec& spec = job.scan;
  auto profile = probe_hello_profile(spec.profile);
  if (!profile) return make_error("job '{}': {}", job.name, profile.message());
  std::unique_ptr<ScanJob> self(new ScanJob());
  self->m_job = &job;
  self->m_vantageAddress = vantage_address;
  self->m_hosts = hosts.size();
  self->m_onDone = std::move(on_done);
  ScanConfig config;
  config.hosts = std::move(hosts);
  config.test_snis = spec.snis;
  config.control_sni = spec.control_sni;
  config.profile = *profile;
  config.timeout = spec.timeout;
  config.retries = spec.retries;
  config.concurrency = spec.concurrency;
  config.stop = spec.stop;
  config.trust = std::move(trust);
  config.at = at;
  auto scan = Scan::create(std::move(config));
  if (!scan) return make_error("job '{}': {}", job.name, scan.message());
  ScanJob* raw = self.get();
  SimScanOptions options;
  options.on_record = [raw](const ScanRecord&) { raw->m_recordTimes.push_back(SimNow()); };
  options.on_done = [raw] {
    raw->m_done = true;
    raw->m_finished = SimNow();
    if (raw->m_onDone) raw->m_onDone();
  };
  self->m_driver = std::make_unique<SimScanDriver>(vantage, std::move(*scan), std::move(options));
  return self;
}

void ScanJob::Start() {
  m_started = SimNow();
  if (m_hosts == 0) {  // nothing to scan (e.g. an earlier scan found no host to follow up)
    m_done = true;
    m_finished = m_started;
    if (m_onDone) m_onDone();
    return;
  }
  m_driver->Start();
}

ScanJobResult ScanJob::TakeOutcome() {
  ScanJobResult r;
  r.name = m_job->name;
  r.vantage = m_job->vantage;
  r.vantage_address = m_vantageAddress;
  r.snis = m_job->scan.snis;
  r.control_sni = m_job->scan.control_sni;
  r.hosts = m_hosts;
  r.records = m_driver->take_records();
  r.record_times = m_recordTimes;
  r.timing = {m_started, m_done ? m_finished : SimNow(), m_done};
  return r;
}

std::string ScanJob::Progress() const {
  return fmt::format("scan {}: {}/{} verdicts", m_job->name, m_driver->records().size(),
                     m_driver->scan().total_records());
}

}  // namespace mitmlab
