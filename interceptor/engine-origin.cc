// The origin check (facts §1 condition 3, §5): a cached verdict per server address and port,
// or a connection of the box's own, spoofing the client's address with a fresh source port,
// read until the server's Certificate, judged at the calendar time, then reset. The client's
// ClientHello is held meanwhile; its retransmissions are absorbed (engine-hello.cc).
#include <utility>

#include "interceptor/engine.h"
#include "interceptor/hijack-state.h"

namespace mitmlab {

std::string_view origin_status_name(OriginStatus status) {
  switch (status) {
    case OriginStatus::kTrusted: return "trusted";
    case OriginStatus::kUntrusted: return "untrusted";
    case OriginStatus::kUnreachable: return "unreachable";
  }
  return "unknown";
}

Disposition Engine::begin_intercept(Timestamp now, const FlowKey& key, FlowState& flow, bool current_held) {
  const OriginKey origin{key.server_addr, key.server_port};
  flow.phase = FlowPhase::kCheckingOrigin;
  if (auto cached = verdicts_.find(origin); cached != verdicts_.end()) {
    ++counters_.origin_check_cache_hits;
    if (cached->second.status != OriginStatus::kTrusted) {
      const PassReason reason = cached->second.status == OriginStatus::kUntrusted ? PassReason::kUntrustedOrigin
                                                                                  : PassReason::kOriginUnreachable;
      return pass(now, key, flow, reason, current_held,
                  {{"cached", true}, {"verdict", cached->second.verdict.reason}});
    }
    if (current_held) ++counters_.packets_held;
    start_hijack(now, key, flow, cached->second);
    return Disposition::kDrop;
  }
  if (current_held) ++counters_.packets_held;
  table_.touch(key, now);
  if (auto pending = pending_checks_.find(origin); pending != pending_checks_.end()) {
    checks_.at(pending->second)->waiters.push_back(key);
    return Disposition::kDrop;
  }
  start_check(now, key, flow, origin);
  return Disposition::kDrop;
}

// Deterministic and fresh: a port in the dynamic range that no tracked flow or other check
// from the same address uses toward this origin.
std::uint16_t Engine::fresh_check_port(std::uint32_t client_addr, const OriginKey& origin) {
  for (;;) {
    const std::uint64_t h = FlowKeyHash::mix(config_.seed ^ FlowKeyHash::mix(++check_serial_));
    const auto port = static_cast<std::uint16_t>(49152 + h % 16384);
    const FlowKey k{client_addr, port, origin.addr, origin.port};
    if (!checks_.contains(k) && !table_.find(k) && !table_.find(k.reversed())) return port;
  }
}

void Engine::start_check(Timestamp now, const FlowKey& client_flow, const FlowState& flow, const OriginKey& origin) {
  ++counters_.origin_checks;
  const std::string sni = flow.sni.value_or("");
  Result<OriginClient> tls = OriginClient::create(origin_profile_, sni);
  if (!tls) {
    ++counters_.origin_checks_failed;
    OriginRecord failed;
    failed.error = tls.message();
    record(now, EventKind::kOriginVerdict, client_flow, {{"status", "unreachable"}, {"error", failed.error}});
    apply_verdict(now, client_flow, failed);
    return;
  }
  const std::uint16_t port = fresh_check_port(client_flow.client_addr, origin);
  const FlowKey key{client_flow.client_addr, port, origin.addr, origin.port};
  TcpEndpointConfig tcp_config;
  tcp_config.ttl = config_.injected_ttl;
  tcp_config.time_wait = Duration::zero();
  TcpEndpoint tcp(TcpAddressPair{Ipv4Address(key.client_addr), key.client_port, Ipv4Address(key.server_addr),
                                 key.server_port},
                  tcp_config);
  TcpOpenOptions open;
  open.isn = static_cast<std::uint32_t>(FlowKeyHash::mix(config_.seed ^ (std::uint64_t{port} << 32) ^ check_serial_));
  tcp.connect(now, open);
  auto check = std::make_unique<CheckConnection>(key, origin, other_side(flow.client_side), sni, std::move(tcp),
                                                 std::move(tls.value()), now + config_.timeouts.origin_check);
  check->to_send = check->tls.take_output();
  check->waiters.push_back(client_flow);
  checks_.emplace(key, std::move(check));
  pending_checks_.emplace(origin, key);
  record(now, EventKind::kOriginCheck, client_flow,
         {{"check_port", port}, {"sni", sni}, {"profile", origin_profile_.name}});
  service_check(now, key);
}

void Engine::service_check(Timestamp now, const FlowKey& check_key) {
  auto it = checks_.find(check_key);
  if (it == checks_.end()) return;
  CheckConnection& c = *it->second;
  std::optional<OriginRecord> outcome;
  if (c.tcp.readable() > 0) {
    c.tls.feed(c.tcp.read(c.tcp.readable()));
    // Once the Certificate is in, the box stops: what OpenSSL would send next (the key
    // exchange, Finished) would complete a handshake the origin has no need to see.
    if (!c.tls.has_server_chain()) {
      Bytes more = c.tls.take_output();
      c.to_send.insert(c.to_send.end(), more.begin(), more.end());
    }
  }
  if (!c.to_send.empty() && !c.tls.has_server_chain()) {
    const std::size_t taken = c.tcp.send(c.to_send);
    c.to_send.erase(c.to_send.begin(), c.to_send.begin() + static_cast<std::ptrdiff_t>(taken));
  }
  if (c.tls.has_server_chain()) {
    OriginRecord r;
    r.verdict = deps_.judge->judge(c.tls.server_chain_der(), calendar_time(now));
    r.status = r.verdict.trusted ? OriginStatus::kTrusted : OriginStatus::kUntrusted;
    if (r.verdict.trusted) {
      Result<X509Ptr> leaf = x509_from_der(c.tls.server_chain_der().front());
      if (leaf) {
        r.leaf = std::move(leaf.value());
      } else {
        r.status = OriginStatus::kUntrusted;  // judged trusted yet unreadable: cannot be forged
        r.verdict.trusted = false;
        r.verdict.reason = leaf.message();
      }
    }
    outcome = std::move(r);
  } else if (c.tls.state() == TlsLegState::failed || c.tls.state() == TlsLegState::closed) {
    OriginRecord r;
    r.error = c.tls.failure() ? c.tls.failure()->message : "TLS closed before the Certificate";
    outcome = std::move(r);
  } else if (c.tcp.is_closed()) {
    OriginRecord r;
    r.error = fmt::format("TCP {}", to_string(c.tcp.close_reason()));
    outcome = std::move(r);
  } else if (now >= c.deadline) {
    OriginRecord r;
    r.error = "timed out";
    outcome = std::move(r);
  }
  while (std::optional<Bytes> p = c.tcp.poll_transmit(now)) {
    ++counters_.packets_injected;
    inject(c.toward_server, std::move(*p));
  }
  if (outcome) finish_check(now, check_key, std::move(*outcome));
}

void Engine::finish_check(Timestamp now, const FlowKey& check_key, OriginRecord result) {
  auto it = checks_.find(check_key);
  if (it == checks_.end()) return;
  std::unique_ptr<CheckConnection> c = std::move(it->second);
  checks_.erase(it);
  pending_checks_.erase(c->origin);
  // The check has served its purpose: reset it, as a scanner would, so the origin frees it.
  if (!c->tcp.is_closed()) c->tcp.abort();
  while (std::optional<Bytes> p = c->tcp.poll_transmit(now)) {
    ++counters_.packets_injected;
    inject(c->toward_server, std::move(*p));
  }
  counters_.retransmissions += c->tcp.counters().retransmissions;
  finished_checks_.insert_or_assign(c->key, now + kCloseLinger);

  nlohmann::json details = {{"status", origin_status_name(result.status)},
                            {"origin", fmt::format("{}:{}", format_ipv4(c->origin.addr), c->origin.port)},
                            {"check_port", c->key.client_port}};
  switch (result.status) {
    case OriginStatus::kTrusted: ++counters_.origin_checks_trusted; break;
    case OriginStatus::kUntrusted: ++counters_.origin_checks_untrusted; break;
    case OriginStatus::kUnreachable: ++counters_.origin_checks_failed; break;
  }
  if (result.status == OriginStatus::kUnreachable) {
    details["error"] = result.error;
  } else {
    details["code"] = result.verdict.code;
    details["reason"] = result.verdict.reason;
    details["depth"] = result.verdict.depth;
    details["chain_length"] = c->tls.server_chain_der().size();
  }
  const std::optional<FlowKey> first = c->waiters.empty() ? std::nullopt : std::optional<FlowKey>(c->waiters.front());
  record(now, EventKind::kOriginVerdict, first, std::move(details));

  for (const FlowKey& waiter : c->waiters) apply_verdict(now, waiter, result);
  // Only judgements are cached: an unreachable origin may answer the next flow.
  if (result.status != OriginStatus::kUnreachable) {
    // Bounded like the flow table; a full cache starts over rather than grow.
    if (verdicts_.size() >= config_.bounds.max_flows) verdicts_.clear();
    verdicts_.insert_or_assign(c->origin, std::move(result));
  }
}

// A held flow learns its origin's verdict: hijack, or release and pass.
void Engine::apply_verdict(Timestamp now, const FlowKey& key, const OriginRecord& result) {
  FlowState* flow = table_.find(key);
  if (!flow || flow->phase != FlowPhase::kCheckingOrigin) return;  // ended or expired meanwhile
  switch (result.status) {
    case OriginStatus::kTrusted:
      start_hijack(now, key, *flow, result);
      return;
    case OriginStatus::kUntrusted:
      (void)pass(now, key, *flow, PassReason::kUntrustedOrigin, false, {{"verdict", result.verdict.reason}});
      return;
    case OriginStatus::kUnreachable:
      (void)pass(now, key, *flow, PassReason::kOriginUnreachable, false, {{"error", result.error}});
      return;
  }
}

}  // namespace mitmlab
