#include "sim/trace-job.h"

#include <fmt/core.h>
#include <ns3/simulator.h>

#include "sim/sim-core-timer.h"

#include "scanner/probe-hello-profile.h"

namespace mitmlab {
Result<std::unique_ptr<TraceJob>> TraceJob::create(const ScenarioJob& job, std::uint64_t seed,
                                                   Ipv4Address vantage_address, ns3::Ptr<ns3::Node> vantage,
                                                   std::vector<ScanHost> hosts, std::function<void()> on_done) {
  const TraceJobSpec& spec = job.trace;
  auto mode = parse_trace_mode(spec.mode);
  if (!mode) return make_error("job '{}': unknown trace mode '{}' (raw or socket)", job.name, spec.mode);
  std::unique_ptr<TraceJob> self(new TraceJob());
  self->m_job = &job;
  self->m_vantageAddress = vantage_address;
  self->m_hosts = hosts.size();
  self->m_onDone = std::move(on_done);

  LocalizerConfig config;
  config.hosts = std::move(hosts);
  config.test_sni = spec.sni;
  config.control_sni = spec.control_sni;
  config.mode = *mode;
  config.max_ttl = spec.max_ttl;
  config.rtt_multiplier = spec.rtt_multiplier;
  config.queries = spec.queries;
  config.concurrency = spec.concurrency;
  config.local_address = vantage_address;
  // Different jobs of one run use different ports and sequence numbers.
  config.seed = seed ^ std::hash<std::string>{}(job.name);
  auto localizer = Localizer::create(std::move(config));
  if (!localizer) return make_error("job '{}': {}", job.name, localizer.message());

  TraceJob* raw = self.get();
  SimTraceOptions options;
  options.on_result = [raw](const TraceResult&) { raw->m_resultTimes.push_back(SimNow()); };
  options.on_done = [raw] {
    if (raw->m_done) return;
    raw->m_done = true;
    raw->m_finished = SimNow();
    if (raw->m_onDone) raw->m_onDone();
  };
  if (*mode == TraceMode::raw) {
    auto driver = SimRawTraceDriver::Create(vantage, std::move(*localizer), std::move(options));
    if (!driver) return make_error("job '{}': {}", job.name, driver.message());
    self->m_raw = std::move(*driver);
  } else {
    auto driver = SimSocketTraceDriver::Create(vantage, std::move(*localizer), std::move(options));
    if (!driver) return make_error("job '{}': {}", job.name, driver.message());
    self->m_socket = std::move(*driver);
  }
  return self;
}

void TraceJob::Start() {
  m_started = SimNow();
  if (m_hosts == 0) {
    m_done = true;
    m_finished = m_started;
    if (m_onDone) m_onDone();
    return;
  }
  if (m_raw) m_raw->Start();
  if (m_socket) m_socket->Start();
}

const std::vector<TraceResult>& TraceJob::Results() const {
  return m_raw ? m_raw->results() : m_socket->results();
}

TraceJobResult TraceJob::Outcome() const {
  TraceJobResult r;
  r.name = m_job->name;
  r.vantage = m_job->vantage;
  r.vantage_address = m_vantageAddress;
  r.mode = m_job->trace.mode;
  r.sni = m_job->trace.sni;
  r.control_sni = m_job->trace.control_sni;
  r.results = Results();
  r.result_times = m_resultTimes;
  r.timing = {m_started, m_done ? m_finished : SimNow(), m_done};
  return r;
}

std::string TraceJob::Progress() const {
  return fmt::format("trace {}: {}/{} hosts", m_job->name, Results().size(), m_hosts);
}

}  // namespace mitmlab
