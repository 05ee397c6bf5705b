#include "scanner/scan.h"

#include <algorithm>

namespace mitmlab {

Result<std::unique_ptr<Scan>> Scan::create(ScanConfig config) {
  if (config.test_snis.empty()) return make_error("scan: no test SNI given");
  if (!config.trust) return make_error("scan: no trust store");
  if (config.at == 0) return make_error("scan: no calendar time for validation");
  if (config.concurrency == 0) return make_error("scan: concurrency must be at least 1");
  if (config.timeout <= Duration::zero()) return make_error("scan: timeout must be positive");
  for (const ScanHost& h : config.hosts)
    if (h.address.empty() || h.port == 0)
      return make_error("scan: bad host '{}:{}'", h.address, h.port);
  auto context = ProbeContext::create(config.profile);
  if (!context) return context.error();
  return std::unique_ptr<Scan>(new Scan(std::move(config), std::move(*context)));
}

Scan::Scan(ScanConfig config, std::shared_ptr<ProbeContext> context)
    : config_(std::move(config)),
      context_(std::move(context)),
      chains_(config_.trust, config_.at) {
  const std::size_t per_host = 1 + config_.test_snis.size();
  unfinished_per_host_.assign(config_.hosts.size(), per_host);
  for (std::size_t h = 0; h < config_.hosts.size(); ++h) {
    Job control;
    control.host = h;
    jobs_.push_back(control);
    for (std::size_t t = 0; t < config_.test_snis.size(); ++t) {
      Job test;
      test.host = h;
      test.test = t;
      jobs_.push_back(test);
    }
  }
  for (std::size_t j = 0; j < jobs_.size(); ++j) queue_.push_back(j);
}

const std::string& Scan::sni_of(const Job& job) const {
  return job.test ? config_.test_snis[*job.test] : config_.control_sni;
}

void Scan::start(Timestamp now) { fill(now); }

std::optional<TransportAction> Scan::poll_action() {
  if (actions_.empty()) return std::nullopt;
  TransportAction a = std::move(actions_.front());
  actions_.pop_front();
  return a;
}

void Scan::fill(Timestamp now) {
  while (active_.size() < config_.concurrency && !queue_.empty()) {
    std::size_t j = queue_.front();
    queue_.pop_front();
    Job& job = jobs_[j];
    // The control is there for the server's own chain, so it stops at the certificate.
    TlsProbeOptions options{sni_of(job), config_.timeout,
                            job.test ? config_.stop : ProbeStop::certificate};
    auto probe = TlsProbe::create(context_, options, now);
    ++job.attempts;
    ++counters_.probes_started;
    if (!probe) {
      // Only a local failure (no memory, an SNI OpenSSL refuses): final, reported as such.
      job.result = ProbeResult{};
      job.result.outcome = ProbeOutcome::handshake_failure;
      job.result.error = probe.message();
      job.final = true;
      if (--unfinished_per_host_[job.host] == 0) maybe_emit(job.host);
      continue;
    }
    ConnId conn = next_conn_++;
    const ScanHost& host = config_.hosts[job.host];
    active_.emplace(conn, Active{j, std::move(*probe)});
    actions_.push_back(ConnectAction{conn, host.address, host.port});
    counters_.active = active_.size();
    counters_.max_active = std::max(counters_.max_active, active_.size());
  }
}

void Scan::on_connected(Timestamp now, ConnId conn) {
  auto it = active_.find(conn);
  if (it == active_.end()) return void(++counters_.ignored_reports);
  it->second.probe->on_connected(now);
  after_event(now, conn);
}

void Scan::on_connect_failed(Timestamp now, ConnId conn, std::string_view why) {
  auto it = active_.find(conn);
  if (it == active_.end()) return void(++counters_.ignored_reports);
  it->second.probe->on_connect_failed(now, why);
  finish_probe(now, conn, false);
  fill(now);
}

void Scan::on_bytes(Timestamp now, ConnId conn, ByteView bytes) {
  auto it = active_.find(conn);
  if (it == active_.end()) return void(++counters_.ignored_reports);
  it->second.probe->on_bytes(now, bytes);
  after_event(now, conn);
}

void Scan::on_closed(Timestamp now, ConnId conn) {
  auto it = active_.find(conn);
  if (it == active_.end()) return void(++counters_.ignored_reports);
  it->second.probe->on_closed(now);
  finish_probe(now, conn, true);  // our side of the connection still needs closing
  fill(now);
}

void Scan::on_reset(Timestamp now, ConnId conn) {
  auto it = active_.find(conn);
  if (it == active_.end()) return void(++counters_.ignored_reports);
  it->second.probe->on_reset(now);
  finish_probe(now, conn, true);  // lets the transport release the socket
  fill(now);
}

std::optional<Timestamp> Scan::next_timeout() const {
  std::optional<Timestamp> next;
  for (const auto& [conn, a] : active_)
    if (auto t = a.probe->next_timeout(); t && (!next || *t < *next)) next = t;
  return next;
}

void Scan::on_timeout(Timestamp now) {
  std::vector<ConnId> expired;
  for (const auto& [conn, a] : active_) {
    a.probe->on_timeout(now);
    if (a.probe->done()) expired.push_back(conn);
  }
  for (ConnId conn : expired) finish_probe(now, conn, true);
  fill(now);
}

void Scan::after_event(Timestamp now, ConnId conn) {
  Active& a = active_.at(conn);
  Bytes out = a.probe->take_output();
  if (!out.empty()) actions_.push_back(SendAction{conn, std::move(out)});
  if (a.probe->done()) {
    finish_probe(now, conn, true);
    fill(now);
  }
}

void Scan::finish_probe(Timestamp now, ConnId conn, bool send_close) {
  auto it = active_.find(conn);
  std::size_t j = it->second.job;
  Job& job = jobs_[j];
  job.result = it->second.probe->take_result();
  active_.erase(it);
  counters_.active = active_.size();
  if (send_close) actions_.push_back(CloseAction{conn});
  if (job.result.chain.empty() && job.attempts <= config_.retries) {
    ++counters_.retries;
    queue_.push_back(j);
    return;
  }
  job.final = true;
  if (--unfinished_per_host_[job.host] == 0) maybe_emit(job.host);
}

void Scan::maybe_emit(std::size_t host) {
  const std::size_t first = host * (1 + config_.test_snis.size());
  const Job& control = jobs_[first];
  const ScanHost& h = config_.hosts[host];
  for (std::size_t t = 0; t < config_.test_snis.size(); ++t) {
    const Job& test = jobs_[first + 1 + t];
    VerdictDetail v = judge_verdict(control.result, test.result, chains_);
    ScanRecord r = make_scan_record(h.address, h.port, config_.control_sni, control.result,
                                    config_.test_snis[t], test.result, v);
    r.retries = test.attempts - 1;
    r.control_retries = control.attempts - 1;
    r.profile = config_.profile.name;
    records_.push_back(std::move(r));
    ++counters_.records;
  }
  // The records keep what is reported; the probes' chains and parsed certificates go now,
  // or a scan of thousands of hosts would hold every one of them until it is destroyed.
  for (std::size_t j = first; j <= first + config_.test_snis.size(); ++j) jobs_[j].result = ProbeResult{};
}

std::size_t Scan::held_chains() const {
  return static_cast<std::size_t>(
      std::count_if(jobs_.begin(), jobs_.end(), [](const Job& j) { return !j.result.chain.empty(); }));
}

std::vector<ScanRecord> Scan::take_records() {
  std::vector<ScanRecord> out = std::move(records_);
  records_.clear();
  return out;
}

bool Scan::done() const {
  return queue_.empty() && active_.empty() && counters_.records == total_records();
}

}  // namespace mitmlab
