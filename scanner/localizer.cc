// The Localizer: hosts in order, up to `concurrency` at once, each swept twice (test SNI,
// then control) by a RawTcpSweep or a SocketSweep; packets and reports routed to the one
// sweep they belong to; a TraceResult judged (scanner/trace-verdict.h) when both are done.
//
// Ordering: hosts start in config order; results come out in the order hosts complete.
// Events touching several hosts (on_timeout) visit them in host order, so the same inputs
// at the same times always give the same actions and the same results in the same order.
// Raw mode: connection k (counting from 0, test and control sweeps alike) takes source
// port first_source_port + k (wrapping within [first_source_port, 65535]), an initial
// sequence number and an IP identification base mixed from (seed, k).
#include "scanner/localizer.h"

#include <algorithm>
#include <tuple>

#include "net/icmp-message.h"
#include "net/ipv4-packet.h"
#include "net/tcp-segment.h"
#include "scanner/raw-tcp-sweep.h"
#include "scanner/socket-sweep.h"
#include "scanner/trace-verdict.h"
#include "scanner/ttl-sweep.h"

namespace mitmlab {
namespace {

// (host address, host port, our port): what a raw packet is demultiplexed by.
using RawKey = std::tuple<std::uint32_t, std::uint16_t, std::uint16_t>;

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

struct Localizer::Impl {
  struct HostRun {
    bool control_phase = false;
    TraceSweep test;
    std::unique_ptr<RawTcpSweep> raw;
    std::unique_ptr<SocketSweep> socket;
    std::optional<TraceSweep> failed;  // a sweep that could not start
    RawKey key{};                      // raw: the sweep's entry in by_key
    std::optional<ConnId> conn;        // socket: the sweep's entry in by_conn

    bool sweep_done() const {
      return failed || (raw && raw->done()) || (socket && socket->done());
    }
    const TraceSweep& sweep_result() const {
      if (failed) return *failed;
      return raw ? raw->result() : socket->result();
    }
  };

  LocalizerConfig config;
  std::shared_ptr<ProbeContext> context;
  std::vector<Ipv4Address> addresses;  // raw mode: the hosts' addresses, parsed
  std::size_t next_host = 0;
  std::map<std::size_t, HostRun> active;  // by host index: visited in host order
  std::map<RawKey, std::size_t> by_key;
  std::map<ConnId, std::size_t> by_conn;
  std::deque<LocalizerAction> actions;
  std::vector<TraceResult> results;
  ConnId next_conn = 1;
  std::uint64_t raw_connections = 0;
  LocalizerCounters counters;

  void fill(Timestamp now);
  void start_sweep(Timestamp now, std::size_t h, HostRun& run);
  void advance(Timestamp now, std::size_t h);
  void on_raw_tcp(Timestamp now, const Ipv4Packet& ip);
  void on_raw_icmp(Timestamp now, const Ipv4Packet& ip);
  HostRun* raw_sweep(const RawKey& key);
  SocketSweep* socket_sweep(ConnId conn, std::size_t* host);
  template <typename F>
  void on_report(Timestamp now, ConnId conn, F&& f);
};

void Localizer::Impl::fill(Timestamp now) {
  while (active.size() < config.concurrency && next_host < config.hosts.size()) {
    std::size_t h = next_host++;
    HostRun& run = active[h];
    counters.max_active = std::max(counters.max_active, active.size());
    start_sweep(now, h, run);
    advance(now, h);
  }
}

void Localizer::Impl::start_sweep(Timestamp now, std::size_t h, HostRun& run) {
  std::string sni = run.control_phase ? config.control_sni : config.test_sni;
  SweepSettings settings = sweep_settings(config, sni);
  run.raw.reset();
  run.socket.reset();
  if (config.mode == TraceMode::socket) {
    run.socket = std::make_unique<SocketSweep>(settings, config.hosts[h], context,
                                               [this] { return next_conn++; });
    run.socket->start(now);
    return;
  }
  auto reader = ChainReader::create(context, sni, now);
  if (!reader) {
    run.failed = TraceSweep{};
    run.failed->sni = sni;
    run.failed->error = reader.message();
    return;
  }
  const std::uint64_t k = raw_connections++;
  const std::uint32_t span = 65536u - config.first_source_port;
  const std::uint64_t mix = splitmix64(config.seed ^ splitmix64(k));
  RawEndpoints ends{config.local_address,
                    static_cast<std::uint16_t>(config.first_source_port + k % span),
                    addresses[h],
                    config.hosts[h].port,
                    static_cast<std::uint32_t>(mix),
                    static_cast<std::uint16_t>((mix >> 32) & 0xff00)};
  run.key = RawKey{ends.host.value, ends.host_port, ends.local_port};
  by_key[run.key] = h;
  run.raw = std::make_unique<RawTcpSweep>(settings, ends, std::move(*reader));
  run.raw->start(now);
}

// Drains the host's sweep, moves on to its control sweep, or completes the host.
void Localizer::Impl::advance(Timestamp now, std::size_t h) {
  for (;;) {
    auto it = active.find(h);
    if (it == active.end()) return;
    HostRun& run = it->second;
    if (run.raw) {
      for (Bytes& packet : run.raw->outbox()) actions.push_back(RawPacketAction{std::move(packet)});
      run.raw->outbox().clear();
    }
    if (run.socket) {
      for (LocalizerAction& a : run.socket->outbox()) actions.push_back(std::move(a));
      run.socket->outbox().clear();
      if (run.conn != run.socket->connection()) {
        if (run.conn) by_conn.erase(*run.conn);
        run.conn = run.socket->connection();
        if (run.conn) by_conn[*run.conn] = h;
      }
    }
    if (!run.sweep_done()) return;
    if (run.raw) by_key.erase(run.key);
    if (run.conn) by_conn.erase(*run.conn);
    run.conn.reset();
    if (!run.control_phase) {
      run.test = run.sweep_result();
      run.control_phase = true;
      run.failed.reset();
      start_sweep(now, h, run);
      continue;
    }
    TraceResult result;
    result.host = config.hosts[h];
    result.mode = config.mode;
    result.test = std::move(run.test);
    result.control = run.sweep_result();
    judge_trace(result);
    results.push_back(std::move(result));
    active.erase(it);
    return;
  }
}

Localizer::Impl::HostRun* Localizer::Impl::raw_sweep(const RawKey& key) {
  auto k = by_key.find(key);
  if (k == by_key.end()) return nullptr;
  auto it = active.find(k->second);
  if (it == active.end() || !it->second.raw || it->second.raw->done()) return nullptr;
  return &it->second;
}

void Localizer::Impl::on_raw_tcp(Timestamp now, const Ipv4Packet& ip) {
  auto segment = parse_tcp(ip);
  if (!segment) return void(++counters.packets_ignored);
  const TcpHeader& h = segment->header;
  RawKey key{ip.header.source.value, h.source_port, h.destination_port};
  HostRun* run = raw_sweep(key);
  if (!run) return void(++counters.packets_ignored);
  std::size_t host = by_key.at(key);
  run->raw->on_tcp(now, *segment);
  advance(now, host);
}

void Localizer::Impl::on_raw_icmp(Timestamp now, const Ipv4Packet& ip) {
  auto icmp = parse_icmp(ip);
  if (!icmp) return void(++counters.packets_ignored);
  const auto* exceeded = std::get_if<IcmpTimeExceeded>(&icmp->body);
  if (!exceeded) return void(++counters.packets_ignored);
  const QuotedDatagram& q = exceeded->quoted;
  if (!q.ip || !q.source_port || !q.destination_port ||
      q.ip->header.protocol != ip_protocol::kTcp || q.ip->header.source != config.local_address)
    return void(++counters.packets_ignored);
  RawKey key{q.ip->header.destination.value, *q.destination_port, *q.source_port};
  HostRun* run = raw_sweep(key);
  if (!run) return void(++counters.packets_ignored);
  std::size_t host = by_key.at(key);
  if (!run->raw->on_time_exceeded(now, ip.header.source, q)) ++counters.packets_ignored;
  advance(now, host);
}

SocketSweep* Localizer::Impl::socket_sweep(ConnId conn, std::size_t* host) {
  auto c = by_conn.find(conn);
  if (c == by_conn.end()) return nullptr;
  auto it = active.find(c->second);
  if (it == active.end() || !it->second.socket || it->second.socket->connection() != conn)
    return nullptr;
  *host = c->second;
  return it->second.socket.get();
}

template <typename F>
void Localizer::Impl::on_report(Timestamp now, ConnId conn, F&& f) {
  std::size_t host = 0;
  SocketSweep* sweep = config.mode == TraceMode::socket ? socket_sweep(conn, &host) : nullptr;
  if (!sweep) return void(++counters.reports_ignored);
  f(*sweep);
  advance(now, host);
  fill(now);
}

Result<std::unique_ptr<Localizer>> Localizer::create(LocalizerConfig config) {
  if (config.test_sni.empty()) return make_error("localizer: the test SNI is empty");
  if (config.first_ttl < 1 || config.max_ttl > 255 || config.first_ttl > config.max_ttl)
    return make_error("localizer: TTLs {}..{} are not within 1..255", config.first_ttl,
                      config.max_ttl);
  if (!(config.rtt_multiplier > 0)) return make_error("localizer: rtt_multiplier must be positive");
  if (config.queries < 1 || config.queries > 10)
    return make_error("localizer: queries per TTL must be 1..10, not {}", config.queries);
  if (config.min_wait <= Duration::zero())
    return make_error("localizer: min_wait must be positive");
  if (config.connect_timeout <= Duration::zero())
    return make_error("localizer: connect_timeout must be positive");
  if (config.concurrency == 0) return make_error("localizer: concurrency must be at least 1");
  auto impl = std::make_unique<Impl>();
  for (const ScanHost& h : config.hosts) {
    if (h.address.empty() || h.port == 0)
      return make_error("localizer: bad host '{}:{}'", h.address, h.port);
    if (config.mode == TraceMode::raw) {
      auto address = Ipv4Address::parse(h.address);
      if (!address)
        return make_error("localizer: raw mode needs IPv4 addresses, got '{}'", h.address);
      impl->addresses.push_back(*address);
    }
  }
  if (config.mode == TraceMode::raw) {
    if (config.local_address == Ipv4Address{})
      return make_error("localizer: raw mode needs the local address packets leave from");
    if (config.first_source_port == 0)
      return make_error("localizer: first_source_port must be 1..65535");
  }
  auto context = ProbeContext::create(config.profile);
  if (!context) return context.error();
  impl->context = std::move(*context);
  impl->config = std::move(config);
  return std::unique_ptr<Localizer>(new Localizer(std::move(impl)));
}

Localizer::Localizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Localizer::~Localizer() = default;

void Localizer::start(Timestamp now) { impl_->fill(now); }

std::optional<LocalizerAction> Localizer::poll_action() {
  if (impl_->actions.empty()) return std::nullopt;
  LocalizerAction a = std::move(impl_->actions.front());
  impl_->actions.pop_front();
  return a;
}

void Localizer::on_packet(Timestamp now, ByteView ipv4) {
  Impl& m = *impl_;
  auto ip = parse_ipv4(ipv4);
  if (m.config.mode != TraceMode::raw || !ip || ip->header.is_fragment() ||
      ip->header.destination != m.config.local_address)
    return void(++m.counters.packets_ignored);
  if (ip->header.protocol == ip_protocol::kTcp)
    m.on_raw_tcp(now, *ip);
  else if (ip->header.protocol == ip_protocol::kIcmp)
    m.on_raw_icmp(now, *ip);
  else
    ++m.counters.packets_ignored;
  m.fill(now);
}

void Localizer::on_connected(Timestamp now, ConnId conn) {
  impl_->on_report(now, conn, [&](SocketSweep& s) { s.on_connected(now); });
}
void Localizer::on_connect_failed(Timestamp now, ConnId conn, std::string_view why) {
  impl_->on_report(now, conn, [&](SocketSweep& s) { s.on_connect_failed(now, why); });
}
void Localizer::on_bytes(Timestamp now, ConnId conn, ByteView bytes) {
  impl_->on_report(now, conn, [&](SocketSweep& s) { s.on_bytes(now, bytes); });
}
void Localizer::on_icmp(Timestamp now, ConnId conn, const IcmpReport& icmp) {
  impl_->on_report(now, conn, [&](SocketSweep& s) { s.on_icmp(now, icmp); });
}
void Localizer::on_closed(Timestamp now, ConnId conn) {
  impl_->on_report(now, conn, [&](SocketSweep& s) { s.on_closed(now); });
}
void Localizer::on_reset(Timestamp now, ConnId conn) {
  impl_->on_report(now, conn, [&](SocketSweep& s) { s.on_reset(now); });
}

std::optional<Timestamp> Localizer::next_timeout() const {
  std::optional<Timestamp> next;
  for (const auto& [h, run] : impl_->active) {
    std::optional<Timestamp> t = run.raw ? run.raw->next_timeout()
                                 : run.socket ? run.socket->next_timeout()
                                              : std::nullopt;
    if (t && (!next || *t < *next)) next = t;
  }
  return next;
}

void Localizer::on_timeout(Timestamp now) {
  Impl& m = *impl_;
  std::vector<std::size_t> hosts;
  for (const auto& [h, run] : m.active) hosts.push_back(h);
  for (std::size_t h : hosts) {
    auto it = m.active.find(h);
    if (it == m.active.end()) continue;
    if (it->second.raw) it->second.raw->on_timeout(now);
    if (it->second.socket) it->second.socket->on_timeout(now);
    m.advance(now, h);
  }
  m.fill(now);
}

std::vector<TraceResult> Localizer::take_results() {
  std::vector<TraceResult> out;
  out.swap(impl_->results);
  return out;
}

bool Localizer::done() const {
  return impl_->next_host == impl_->config.hosts.size() && impl_->active.empty();
}

const LocalizerConfig& Localizer::config() const { return impl_->config; }
const LocalizerCounters& Localizer::counters() const { return impl_->counters; }

}  // namespace mitmlab
