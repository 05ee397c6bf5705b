#include "sim/scenario-run.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <variant>

#include <fmt/core.h>
#include <ns3/rng-seed-manager.h>
#include <ns3/simulator.h>

#include "interceptor/engine-dependencies.h"
#include "interceptor/forge/forger.h"
#include "net/key-log.h"
#include "net/seeded-random.h"
#include "sim/fetch-job.h"
#include "sim/forged-key-plan.h"
#include "sim/fingerprint-job.h"
#include "sim/host-selection.h"
#include "sim/run-output.h"
#include "sim/run-report.h"
#include "sim/run-writer.h"
#include "sim/scan-job.h"
#include "sim/server-pki.h"
#include "sim/sharded-run.h"
#include "sim/sim-core-timer.h"
#include "sim/trace-job.h"
#include "sim/world-builder.h"

namespace mitmlab {
namespace {

double seconds_of(Timestamp t) { return std::chrono::duration<double>(t).count(); }

// Without an `end`, a run that has not finished its jobs this long after the last job's
// start is stopped and reported incomplete (a scan of thousands of dead hosts takes hours
// of simulated time; a week means something is stuck).
constexpr auto kRunawayLimit = std::chrono::hours(24 * 7);
// After the last job, keep simulating this long so closing handshakes reach the pcaps.
constexpr auto kDrain = std::chrono::seconds(1);

std::string endpoint(std::uint32_t address, std::uint16_t port) {
  return fmt::format("{}:{}", Ipv4Address(address).to_string(), port);
}

// One job of the plan and its state during the run.
struct JobSlot {
  const ScenarioJob* spec = nullptr;
  std::unique_ptr<ScanJob> scan;
  std::unique_ptr<TraceJob> trace;
  std::unique_ptr<FetchJob> fetch;
  std::unique_ptr<FingerprintJob> fingerprint;
  bool due = false;      // its start time has come
  bool started = false;
  bool done = false;
  std::chrono::steady_clock::time_point wall_start{};  // for RunWallTimes only
};

double wall_seconds_since(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

class Runner {
 public:
  Runner(const Scenario& scenario, const RunOptions& options, ShardContext* shard)
      : s_(scenario), options_(options), shard_(shard) {}

  Result<RunResults> Run();       // the whole run: simulates and writes every file
  Result<ShardOutcome> RunShard();  // one shard: simulates and renders; writes certs/ca/ (shard 0)

 private:
  Status Prepare();
  void Due(std::size_t index);
  void TryStart(std::size_t index);
  Status StartJob(JobSlot& slot);
  Result<std::vector<ScanHost>> SelectHosts(const ScenarioJob& job, const HostSelector& selector);
  Status NotMine(std::size_t index);
  void JobDone(std::size_t index);
  void Progress();
  Result<RunResults> Simulate(const std::function<Status(const RunResults&)>& finish);
  Result<RunResults> Collect();
  RunExtras RenderExtras(const RunResults& results);
  Status WriteCaFiles() const;

  std::vector<HijackedFlow> Hijacks() const;
  PathTruth TruthPath(const std::string& vantage, Ipv4Address host) const;
  Ipv4Address VantageAddress(const std::string& name) const;
  const ScenarioServer* ServerNamed(const std::string& name) const;

  const Scenario& s_;
  const RunOptions& options_;
  ShardContext* shard_ = nullptr;  // null: the run is one process
  std::shared_ptr<MemoryKeyLog> keylog_ = std::make_shared<MemoryKeyLog>();
  std::optional<ServerPki> pki_;
  std::shared_ptr<const TrustStore> client_trust_;
  X509StorePtr fetch_trust_;  // client roots plus every bump's fake root
  std::map<std::string, EngineDependencies> deps_;  // by forging profile
  std::map<std::string, std::shared_ptr<Forger>> forgers_;  // by bump name
  std::shared_ptr<KeyPrefetch> keys_;  // every forger's key source
  std::unique_ptr<World> world_;
  std::vector<JobSlot> jobs_;
  ScanVerdictsByJob finished_scans_;
  std::set<std::string> gathered_;  // source scans whose verdicts came from every shard
  std::optional<Error> failure_;
  std::size_t jobs_done_ = 0;
  std::chrono::steady_clock::time_point last_progress_{};
};

Status Runner::Prepare() {
  auto pki = ServerPki::create(s_);
  if (!pki) return make_error("pki: {}", pki.message());
  pki_.emplace(std::move(*pki));
  auto client_trust = TrustStore::from_pem(pki_->client_trust_pem());
  if (!client_trust) return make_error("pki: client roots: {}", client_trust.message());
  client_trust_ = *client_trust;
  fetch_trust_ = pki_->client_trust_store();

  WorldOptions world_options;
  // One fake authority per forging profile, shared by every bump of the run: in 2019 every
  // box chained to the same "Qaznet Trust Network" root. Its keys derive from the scenario
  // seed; each engine keeps its own seed for its other choices.
  KeyPrefetch::Derive derive = [](ByteView seed, const RsaKeySpec& spec) { return derive_rsa_key(seed, spec); };
  if (options_.key_cache)
    derive = [cache = options_.key_cache](ByteView seed, const RsaKeySpec& spec) { return cache->get(seed, spec); };
  keys_ = std::make_shared<KeyPrefetch>(std::move(derive), options_.key_threads);
  world_options.engine_dependencies = [this](const ScenarioBump& bump) -> Result<EngineDependencies> {
    auto cached = deps_.find(bump.engine.forging_profile);
    if (cached != deps_.end()) {
      if (cached->second.forger) forgers_[bump.name] = cached->second.forger;
      return cached->second;
    }
    EngineConfig config = bump.engine;
    config.seed = derive_seed(s_.seed, "fake-authority/" + config.forging_profile);
    config.trust_store = {pki_->box_trust_pem()};
    KeySource keys = [prefetch = keys_](ByteView seed, const RsaKeySpec& spec) { return prefetch->get(seed, spec); };
    auto deps = make_engine_dependencies(config, keys);
    if (!deps) return make_error("bump '{}': {}", bump.name, deps.message());
    deps->calendar_origin = s_.start;
    if (deps->forger)
      X509_STORE_add_cert(fetch_trust_.get(), const_cast<X509*>(&deps->forger->authority().root()));
    deps_.emplace(bump.engine.forging_profile, *deps);
    if (deps->forger) forgers_[bump.name] = deps->forger;
    return *deps;
  };
  world_options.credentials = [this](const ScenarioServer& server, std::string_view sni) -> TlsCredentialsPtr {
    auto credentials = pki_->credentials_for(server);
    if (!credentials) return nullptr;
    return (*credentials)->for_sni(sni);
  };
  auto world = BuildWorld(s_, world_options);
  if (!world) return world.error();
  world_ = std::move(*world);
  if (options_.key_threads > 0)
    keys_->enqueue(plan_forged_leaf_keys(s_, *world_, *pki_, forgers_, shard_ ? &shard_->servers : nullptr));
  if (options_.pcap) {
    std::error_code ec;
    std::filesystem::create_directories(options_.out / "pcap", ec);
    if (ec) return make_error("cannot create {}: {}", (options_.out / "pcap").string(), ec.message());
    world_->EnablePcap(options_.out / "pcap");
  }

  jobs_.resize(s_.jobs.size());
  for (std::size_t i = 0; i < s_.jobs.size(); ++i) {
    jobs_[i].spec = &s_.jobs[i];
    ns3::Simulator::Schedule(ToSimTime(s_.jobs[i].at), &Runner::Due, this, i);
  }
  return Ok{};
}

void Runner::Due(std::size_t index) {
  jobs_[index].due = true;
  TryStart(index);
}

// A job that follows up an earlier scan's verdicts waits for that scan to finish.
void Runner::TryStart(std::size_t index) {
  JobSlot& slot = jobs_[index];
  if (!slot.due || slot.started || failure_) return;
  const ScenarioJob& job = *slot.spec;
  const HostSelector* selector = job.kind == JobKind::scan ? &job.scan.hosts
                                 : job.kind == JobKind::trace ? &job.trace.hosts
                                                              : nullptr;
  if (selector && !selector->from_job.empty() && !finished_scans_.contains(selector->from_job)) return;
  slot.started = true;
  slot.wall_start = std::chrono::steady_clock::now();
  if (options_.progress) options_.progress(fmt::format("{}: job {} started", s_.name, job.name));
  if (Status st = StartJob(slot); !st) {
    failure_ = st.error();
    ns3::Simulator::Stop();
  }
}

const ScenarioServer* Runner::ServerNamed(const std::string& name) const {
  for (const ScenarioServer& server : s_.servers)
    if (server.name == name) return &server;
  return nullptr;
}

Ipv4Address Runner::VantageAddress(const std::string& name) const {
  for (const ScenarioVantage& v : s_.vantages)
    if (v.name == name) return v.address;
  return {};
}

// A shard measures its own servers; a follow-up job selects them from every shard's
// verdicts of its source scan (gathered once, when the first job needing them starts).
Result<std::vector<ScanHost>> Runner::SelectHosts(const ScenarioJob& job, const HostSelector& selector) {
  if (shard_ && !selector.from_job.empty() && gathered_.insert(selector.from_job).second) {
    auto all = shard_->gather(selector.from_job);
    if (!all) return make_error("job '{}': {}", job.name, all.message());
    finished_scans_[selector.from_job] = std::move(*all);
  }
  auto hosts = select_hosts(s_, job, selector, finished_scans_);
  if (!hosts || !shard_) return hosts;
  return shard_->servers.keep_own(std::move(*hosts));
}

// A fetch or fingerprint job of another shard's server: done here without running.
Status Runner::NotMine(std::size_t index) {
  ns3::Simulator::ScheduleNow(&Runner::JobDone, this, index);
  return Ok{};
}

Status Runner::StartJob(JobSlot& slot) {
  const ScenarioJob& job = *slot.spec;
  const std::size_t index = static_cast<std::size_t>(&slot - jobs_.data());
  auto done = [this, index] { JobDone(index); };
  const std::time_t calendar = s_.start + std::chrono::duration_cast<std::chrono::seconds>(job.at).count();
  switch (job.kind) {
    case JobKind::scan: {
      auto hosts = SelectHosts(job, job.scan.hosts);
      if (!hosts) return hosts.error();
      auto scan = ScanJob::create(job, VantageAddress(job.vantage), world_->GetVantage(job.vantage),
                                  std::move(*hosts), client_trust_, calendar, done);
      if (!scan) return scan.error();
      slot.scan = std::move(*scan);
      slot.scan->Start();
      break;
    }
    case JobKind::trace: {
      auto hosts = SelectHosts(job, job.trace.hosts);
      if (!hosts) return hosts.error();
      auto trace = TraceJob::create(job, s_.seed, VantageAddress(job.vantage), world_->GetVantage(job.vantage),
                                    std::move(*hosts), done);
      if (!trace) return trace.error();
      slot.trace = std::move(*trace);
      slot.trace->Start();
      break;
    }
    case JobKind::fetch: {
      const ScenarioServer* server = ServerNamed(job.fetch.server);
      if (!server) return make_error("job '{}': no server named '{}'", job.name, job.fetch.server);
      if (shard_ && !shard_->servers.owns(server->address)) return NotMine(index);
      FetchJob::Spec spec;
      spec.name = job.name;
      spec.vantage = job.vantage;
      spec.server = server->name;
      spec.sni = job.fetch.sni.empty() ? server->name : job.fetch.sni;
      spec.path = job.fetch.path;
      spec.server_address = server->address;
      spec.port = server->port;
      spec.verify_time = calendar;
      // Without trust_fake_root the client has only the public roots, as a user who
      // refused the government certificate.
      X509_STORE* trust = fetch_trust_.get();
      X509StorePtr public_only;
      if (!job.fetch.trust_fake_root) {
        public_only = pki_->client_trust_store();
        trust = public_only.get();
      }
      slot.fetch = std::make_unique<FetchJob>(spec, world_->GetVantage(job.vantage), trust, done);
      slot.fetch->Start();
      break;
    }
    case JobKind::fingerprint: {
      const ScenarioServer* server = ServerNamed(job.fingerprint.server);
      if (!server) return make_error("job '{}': no server named '{}'", job.name, job.fingerprint.server);
      if (shard_ && !shard_->servers.owns(server->address)) return NotMine(index);
      const ServerSite* site = world_->GetSite(server->address);
      if (!site) return make_error("job '{}': server '{}' has no TLS site", job.name, server->name);
      FingerprintJob::Spec spec{job.name, server->name, server->address, job.fingerprint.duration};
      slot.fingerprint = std::make_unique<FingerprintJob>(spec, done);
      for (const auto& app : site->apps)
        app->TraceConnectWithoutContext("ClientHelloAt",
                                        ns3::MakeCallback(&FingerprintJob::OnHelloAt, slot.fingerprint.get()));
      slot.fingerprint->Start();
      break;
    }
  }
  return Ok{};
}

void Runner::JobDone(std::size_t index) {
  JobSlot& slot = jobs_[index];
  if (slot.done) return;
  slot.done = true;
  ++jobs_done_;
  if (options_.wall_times) options_.wall_times->jobs.emplace_back(slot.spec->name, wall_seconds_since(slot.wall_start));
  if (slot.scan) {
    std::vector<HostVerdict>& verdicts = finished_scans_[slot.spec->name];
    for (const ScanRecord& record : slot.scan->Records()) verdicts.push_back(host_verdict(record));
    if (shard_) {
      std::vector<TimedVerdict> timed;
      const std::vector<Timestamp>& times = slot.scan->RecordTimes();
      for (std::size_t i = 0; i < verdicts.size(); ++i)
        timed.push_back({verdicts[i], i < times.size() ? times[i] : Timestamp{}});
      shard_->publish(slot.spec->name, timed);
    }
  }
  if (options_.progress) options_.progress(fmt::format("{}: job {} done", s_.name, slot.spec->name));
  for (std::size_t i = 0; i < jobs_.size(); ++i) TryStart(i);
  if (jobs_done_ == jobs_.size() && s_.end == Duration::zero())
    ns3::Simulator::Schedule(ToSimTime(kDrain), [] { ns3::Simulator::Stop(); });
}

void Runner::Progress() {
  if (!options_.progress) return;
  auto wall = std::chrono::steady_clock::now();  // throttles the status line only
  if (wall - last_progress_ >= std::chrono::milliseconds(200)) {
    last_progress_ = wall;
    std::string line = fmt::format("{}: t={:.1f}s, {}/{} jobs done", s_.name, seconds_of(SimNow()), jobs_done_,
                                   jobs_.size());
    for (const JobSlot& slot : jobs_) {
      if (!slot.started || slot.done) continue;
      if (slot.scan) line += "; " + slot.scan->Progress();
      if (slot.trace) line += "; " + slot.trace->Progress();
    }
    options_.progress(line);
  }
  ns3::Simulator::Schedule(ns3::Seconds(1), &Runner::Progress, this);
}

std::vector<HijackedFlow> Runner::Hijacks() const {
  std::vector<HijackedFlow> out;
  for (const BumpInfo& bump : world_->GetBumps()) {
    if (!bump.engine) continue;
    for (const EngineEvent& e : bump.engine->events().events()) {
      if (e.kind != EventKind::kHijack || !e.flow) continue;
      HijackedFlow h;
      h.bump = bump.name;
      h.time = e.time;
      h.client = Ipv4Address(e.flow->client_addr);
      h.client_port = e.flow->client_port;
      h.server = Ipv4Address(e.flow->server_addr);
      h.server_port = e.flow->server_port;
      if (auto sni = e.details.find("sni"); sni != e.details.end() && sni->is_string()) h.sni = *sni;
      out.push_back(std::move(h));
    }
  }
  return out;
}

PathTruth Runner::TruthPath(const std::string& vantage, Ipv4Address host) const {
  WorldPath path = world_->Path(vantage, host);
  PathTruth truth;
  for (const PathHop& hop : path.hops) truth.hops.push_back(hop.address);
  for (const BumpCrossing& crossing : path.bumps) {
    PathBump b;
    b.name = crossing.name;
    b.hops_before = crossing.after;
    if (crossing.before < path.hops.size()) b.hop_before = path.hops[crossing.before].address;
    if (crossing.after < path.hops.size()) b.hop_after = path.hops[crossing.after].address;
    truth.bumps.push_back(std::move(b));
  }
  return truth;
}

Result<RunResults> Runner::Collect() {
  RunResults r;
  r.scenario = s_.name;
  r.seed = s_.seed;
  r.start = s_.start;
  r.sim_seconds = seconds_of(SimNow());
  r.description = s_.description;
  const std::vector<HijackedFlow> hijacks = Hijacks();
  // The bumps' hijacks of one vantage's flows while a job ran: that job's ground truth.
  auto during = [&](const JobTiming& t, Ipv4Address vantage) {
    std::vector<HijackedFlow> in;
    for (const HijackedFlow& h : hijacks)
      if (h.client == vantage && h.time >= t.started && h.time <= t.finished) in.push_back(h);
    return in;
  };
  for (const JobSlot& slot : jobs_) {
    r.job_order.push_back(slot.spec->name);
    if (slot.scan) {
      ScanJobResult result = slot.scan->TakeOutcome();
      result.hijacks = during(result.timing, result.vantage_address);
      result.score = score_scan(result.records, result.vantage_address, result.hijacks);
      r.scans.push_back(std::move(result));
    } else if (slot.trace) {
      TraceJobResult result = slot.trace->Outcome();
      for (const TraceResult& t : result.results)
        if (auto host = Ipv4Address::parse(t.host.address))
          result.paths[*host] = TruthPath(result.vantage, *host);
      result.hijacks = during(result.timing, result.vantage_address);
      result.score = score_trace(result.results, result.vantage_address, result.sni, result.hijacks, result.paths);
      r.traces.push_back(std::move(result));
    } else if (slot.fetch) {
      FetchJobResult result = slot.fetch->Outcome();
      for (const HijackedFlow& h : during(result.timing, VantageAddress(result.vantage)))
        if (h.server == result.server_address && h.sni == result.sni)
          result.truth_hijacked = true;
      r.fetches.push_back(std::move(result));
    } else if (slot.fingerprint) {
      r.fingerprints.push_back(slot.fingerprint->Outcome());
    } else if (!failure_) {
      // Never started: the run ended (scenario `end`) before its time or its source scan.
      if (slot.spec->kind == JobKind::scan) {
        ScanJobResult never;
        never.name = slot.spec->name;
        never.vantage = slot.spec->vantage;
        r.scans.push_back(std::move(never));
      }
    }
  }
  for (const BumpInfo& bump : world_->GetBumps()) {
    BumpResult b;
    b.name = bump.name;
    b.a = bump.a;
    b.b = bump.b;
    if (bump.engine) {
      b.counters = bump.engine->counters();
      b.events = bump.engine->events().size();
      b.schedule = bump.engine->config().schedule;
    }
    r.bumps.push_back(std::move(b));
  }
  return r;
}

RunExtras Runner::RenderExtras(const RunResults& r) {
  RunExtras extras;
  // Every server once: in a sharded run the first shard renders them (they need the PKI).
  if (!shard_ || shard_->servers.index() == 0)
    for (const ScenarioServer& server : s_.servers)
      extras.server_lines.push_back(nlohmann::json{{"type", "server"},
                                                   {"name", server.name},
                                                   {"address", server.address.to_string()},
                                                   {"port", server.port},
                                                   {"kind", cert_kind_name(server.kind)},
                                                   {"group", server.group},
                                                   {"as", server.as},
                                                   {"attach", server.attach},
                                                   {"box_trusts_origin", pki_->box_trusts_origin(server)}}
                                        .dump());
  std::set<std::pair<std::string, std::uint32_t>> measured;  // (vantage, server) pairs
  for (const ScanJobResult& job : r.scans)
    for (const ScanRecord& rec : job.records)
      if (auto a = Ipv4Address::parse(rec.address)) measured.insert({job.vantage, a->value});
  for (const TraceJobResult& job : r.traces)
    for (const TraceResult& t : job.results)
      if (auto a = Ipv4Address::parse(t.host.address)) measured.insert({job.vantage, a->value});
  for (const FetchJobResult& f : r.fetches) measured.insert({f.vantage, f.server_address.value});
  for (const auto& [vantage, address] : measured) {
    WorldPath path = world_->Path(vantage, Ipv4Address(address));
    nlohmann::json hops = nlohmann::json::array(), bumps = nlohmann::json::array();
    for (const PathHop& hop : path.hops) hops.push_back({{"router", hop.router}, {"address", hop.address.to_string()}});
    for (const BumpCrossing& c : path.bumps)
      bumps.push_back({{"name", c.name},
                       {"after_hop", c.before + 1},
                       {"between", {c.before < path.hops.size() ? path.hops[c.before].address.to_string() : "",
                                    c.after < path.hops.size() ? path.hops[c.after].address.to_string() : ""}}});
    extras.path_lines.push_back({vantage, address,
                                 nlohmann::json{{"type", "path"},
                                                {"vantage", vantage},
                                                {"server", Ipv4Address(address).to_string()},
                                                {"hops", hops},
                                                {"bumps", bumps},
                                                {"delivered", path.delivered}}
                                     .dump()});
  }
  const std::vector<BumpInfo>& bumps = world_->GetBumps();
  for (std::size_t b = 0; b < bumps.size(); ++b) {
    const BumpInfo& bump = bumps[b];
    if (!bump.engine) continue;
    for (const EngineEvent& e : bump.engine->events().events()) {
      nlohmann::json line = to_json(e);
      line["bump"] = bump.name;
      extras.event_lines.push_back({b, line.value("time_ns", std::int64_t{0}), line.dump()});
      if (e.kind != EventKind::kDecision || !e.flow) continue;
      nlohmann::json decision = {{"type", "connection"},
                                 {"bump", bump.name},
                                 {"time_s", seconds_of(e.time)},
                                 {"client", endpoint(e.flow->client_addr, e.flow->client_port)},
                                 {"server", endpoint(e.flow->server_addr, e.flow->server_port)},
                                 {"sni", e.sni ? nlohmann::json(*e.sni) : nlohmann::json()},
                                 {"decision", e.verdict == EventVerdict::kIntercept ? "intercept" : "passthrough"}};
      if (e.reason) decision["reason"] = reason_name(*e.reason);
      extras.decision_lines.push_back({b, e.time.count(), decision.dump()});
    }
  }
  return extras;
}

Status Runner::WriteCaFiles() const {
  const std::filesystem::path ca = options_.out / "certs" / "ca";
  if (Status st = pki_->write_ca_pem_files(ca); !st) return st;
  for (const auto& [profile, deps] : deps_) {
    if (!deps.forger) continue;
    const FakeAuthority& authority = deps.forger->authority();
    std::string pem = x509_to_pem(&authority.root()) + x509_to_pem(&authority.intermediate());
    if (Status st = RunOutput::reopen(options_.out).write_text("certs/ca/box-" + profile + ".pem", pem); !st)
      return st;
  }
  return Ok{};
}

// Prepares, simulates and collects; `finish` writes what it needs of the results while the
// world still exists. A failed job's error wins over the results.
Result<RunResults> Runner::Simulate(const std::function<Status(const RunResults&)>& finish) {
  // Determinism: OpenSSL's randomness and ns-3's generators from the scenario seed (and the
  // shard: each copy of the world draws its own numbers).
  std::string seed_text = fmt::format("mitmlab-run/{}", s_.seed);
  if (shard_ && shard_->servers.count() > 1) seed_text += fmt::format("/shard-{}", shard_->servers.index());
  SeededRandomGuard random(ByteView(reinterpret_cast<const std::uint8_t*>(seed_text.data()), seed_text.size()));
  ns3::RngSeedManager::SetSeed(static_cast<std::uint32_t>(1 + s_.seed % 2147483646u));
  ns3::RngSeedManager::SetRun(1 + (shard_ ? shard_->servers.index() : 0));
  std::optional<KeyLogInstallation> installed;
  if (options_.keylog) installed.emplace(keylog_);

  auto phase_start = std::chrono::steady_clock::now();
  auto end_phase = [&](double RunWallTimes::*phase) {
    if (options_.wall_times) options_.wall_times->*phase = wall_seconds_since(phase_start);
    phase_start = std::chrono::steady_clock::now();
  };
  Status prepared = Prepare();
  end_phase(&RunWallTimes::prepare);
  if (prepared) {
    if (s_.end > Duration::zero()) {
      ns3::Simulator::Stop(ToSimTime(s_.end));
    } else {
      Duration last{};
      for (const ScenarioJob& job : s_.jobs) last = std::max(last, job.at);
      ns3::Simulator::Stop(ToSimTime(last + kRunawayLimit));
    }
    if (options_.progress) ns3::Simulator::ScheduleNow(&Runner::Progress, this);
    ns3::Simulator::Run();
  }
  end_phase(&RunWallTimes::simulate);
  if (options_.key_stats && keys_) *options_.key_stats = keys_->counters();
  Result<RunResults> results = prepared ? Collect() : Result<RunResults>(prepared.error());
  if (results && !failure_) {
    if (Status st = finish(*results); !st) results = st.error();
  }
  end_phase(&RunWallTimes::write);
  // Jobs hold sockets and events; they go before the simulator, the world after it.
  jobs_.clear();
  ns3::Simulator::Destroy();
  world_.reset();
  if (failure_) return *failure_;
  return results;
}

Result<RunResults> Runner::Run() {
  // Clear the previous run's files first: ns-3 writes the pcaps while it runs.
  if (auto out = RunOutput::open(options_.out); !out) return out.error();
  Result<RunResults> results = Simulate([this](const RunResults& r) -> Status {
    if (Status st = write_run_files(options_.out, s_.report, r, RenderExtras(r)); !st) return st;
    return WriteCaFiles();
  });
  if (results && options_.keylog) {
    std::string text;
    for (const std::string& line : keylog_->lines()) text += line + "\n";
    if (Status st = RunOutput::reopen(options_.out).write_text("keylog.txt", text); !st) return st.error();
  }
  return results;
}

Result<ShardOutcome> Runner::RunShard() {
  ShardOutcome outcome;
  Result<RunResults> results = Simulate([&](const RunResults& r) -> Status {
    outcome.extras = RenderExtras(r);
    return shard_->servers.index() == 0 ? WriteCaFiles() : Status(Ok{});
  });
  if (!results) return results.error();
  outcome.results = std::move(*results);
  return outcome;
}

}  // namespace

Result<RunResults> run_scenario(const Scenario& scenario, const RunOptions& options) {
  if (options.out.empty()) return make_error("run: no output directory");
  if (scenario.shards > 1) return run_sharded(scenario, options);
  Runner runner(scenario, options, nullptr);
  return runner.Run();
}

Result<ShardOutcome> run_shard(const Scenario& scenario, const RunOptions& options, ShardContext& shard) {
  if (options.out.empty()) return make_error("run: no output directory");
  Runner runner(scenario, options, &shard);
  return runner.RunShard();
}

}  // namespace mitmlab
