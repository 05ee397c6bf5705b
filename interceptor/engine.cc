// The engine's packet dispatch, TCP tracking, flow ends and timers. The ClientHello and the
// decision are in engine-hello.cc.
#include "interceptor/engine.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "interceptor/engine-config.h"
#include "interceptor/hijack-state.h"
#include "net/ipv4-packet.h"
#include "net/packet-error.h"
#include "net/tcp-options.h"

namespace mitmlab {

namespace {

// 2019-07-17T00:00:00Z: interception first seen (facts §1).
constexpr std::time_t kDefaultCalendarOrigin = 1563321600;

bool seq_after(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) > 0; }

nlohmann::json options_json(const EndTrack& end) {
  nlohmann::json j = {{"isn", end.isn}, {"sack_permitted", end.sack_permitted},
                      {"timestamps", end.clock.has_value()}};
  j["mss"] = end.mss ? nlohmann::json(*end.mss) : nlohmann::json(nullptr);
  j["window_scale"] = end.window_scale ? nlohmann::json(*end.window_scale) : nlohmann::json(nullptr);
  return j;
}

}  // namespace

std::string_view flow_phase_name(FlowPhase phase) {
  switch (phase) {
    case FlowPhase::kSynSeen: return "syn_seen";
    case FlowPhase::kSynAckSeen: return "syn_ack_seen";
    case FlowPhase::kAwaitingHello: return "awaiting_hello";
    case FlowPhase::kCheckingOrigin: return "checking_origin";
    case FlowPhase::kPassthrough: return "passthrough";
    case FlowPhase::kHijacked: return "hijacked";
    case FlowPhase::kClosing: return "closing";
  }
  return "unknown";
}

Engine::Engine(EngineConfig config, EngineDependencies deps)
    : config_(std::move(config)),
      deps_(std::move(deps)),
      policy_(config_),
      table_(config_.bounds.max_flows, [this](const FlowState& f) { return idle_for(f); }, config_.seed) {
  Result<OriginHelloProfile> profile = origin_hello_profile(config_.origin_client_hello_profile);
  // A configuration error, not input: refuse to build rather than send some other hello.
  if (!profile) throw std::invalid_argument("engine config: " + profile.message());
  origin_profile_ = std::move(profile.value());
}

Engine::~Engine() = default;

std::time_t Engine::calendar_time(Timestamp now) const {
  std::time_t origin = kDefaultCalendarOrigin;
  if (deps_.calendar_origin) {
    origin = *deps_.calendar_origin;
  } else if (config_.schedule.calendar_origin) {
    origin = static_cast<std::time_t>(
        std::chrono::floor<std::chrono::seconds>(config_.schedule.calendar_origin->time_since_epoch()).count());
  }
  return origin + static_cast<std::time_t>(std::chrono::floor<std::chrono::seconds>(now).count());
}

Duration Engine::idle_for(const FlowState& flow) const {
  switch (flow.phase) {
    case FlowPhase::kSynSeen:
    case FlowPhase::kSynAckSeen:
    case FlowPhase::kAwaitingHello:
    case FlowPhase::kCheckingOrigin:
      return config_.timeouts.handshake_idle;
    case FlowPhase::kClosing:
      return kCloseLinger;
    case FlowPhase::kPassthrough:
    case FlowPhase::kHijacked:
      break;
  }
  return config_.timeouts.established_idle;
}

void Engine::record(Timestamp now, EventKind kind, const std::optional<FlowKey>& flow, nlohmann::json details) {
  EngineEvent e;
  e.time = now;
  e.kind = kind;
  e.flow = flow;
  e.details = std::move(details);
  events_.record(std::move(e));
}

void Engine::inject(LinkSide side, Bytes ipv4) { out_.push_back(OutboundPacket{side, std::move(ipv4)}); }

std::optional<OutboundPacket> Engine::poll_transmit() {
  if (out_.empty()) return std::nullopt;
  OutboundPacket p = std::move(out_.front());
  out_.pop_front();
  return p;
}

std::optional<Timestamp> Engine::next_timeout() const {
  std::optional<Timestamp> next = table_.next_expiry();
  auto consider = [&next](std::optional<Timestamp> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  for (const auto& [key, check] : checks_) {
    consider(check->tcp.next_timeout());
    consider(check->deadline);
  }
  for (const FlowKey& key : hijacked_) {
    const FlowState* flow = table_.find(key);
    if (!flow || !flow->hijack) continue;
    consider(flow->hijack->client_leg.next_timeout());
    consider(flow->hijack->server_leg.next_timeout());
  }
  return next;
}

void Engine::on_timeout(Timestamp now) {
  // Copies of the keys: servicing may finish a check or end a hijack.
  std::vector<FlowKey> keys;
  for (const auto& [key, check] : checks_) keys.push_back(key);
  for (const FlowKey& key : keys) {
    auto it = checks_.find(key);
    if (it == checks_.end()) continue;
    it->second->tcp.on_timeout(now);
    service_check(now, key);
  }
  keys.assign(hijacked_.begin(), hijacked_.end());
  for (const FlowKey& key : keys) {
    FlowState* flow = table_.find(key);
    if (!flow || !flow->hijack) continue;
    flow->hijack->client_leg.on_timeout(now);
    flow->hijack->server_leg.on_timeout(now);
    service_hijack(now, key, *flow);
  }
  for (Table::Removed& removed : table_.expire(now)) {
    finish_removed(now, removed.key, removed.state, EventKind::kFlowExpired);
  }
  std::erase_if(finished_checks_, [now](const auto& kv) { return kv.second < now; });
}

// A flow taken out of the table by its idle timer. A closing flow was counted when it
// closed; anything else idled out.
void Engine::finish_removed(Timestamp now, const FlowKey& key, FlowState& flow, EventKind why) {
  if (flow.phase == FlowPhase::kClosing) return;
  const FlowPhase phase = flow.phase;
  if (flow.hijack) end_hijack(now, key, flow, "idle_timeout", true, why);
  if (flow.held && (phase == FlowPhase::kAwaitingHello || phase == FlowPhase::kCheckingOrigin)) {
    // A hello that never completed: the client's bytes are still the server's to see.
    if (phase == FlowPhase::kAwaitingHello) {
      count_pass(now, key, flow.sni, PassReason::kMalformedClientHello, {{"incomplete_at_idle_timeout", true}});
    }
    for (Bytes& p : flow.held->packets) {
      ++counters_.packets_released;
      inject(other_side(flow.client_side), std::move(p));
    }
    flow.held.reset();
  }
  if (why == EventKind::kFlowEvicted) {
    ++counters_.flows_evicted;
  } else {
    ++counters_.flows_expired;
  }
  record(now, why, key, {{"phase", flow_phase_name(phase)}});
}

// FIN both ways or a RST: counted and logged now; the flow lingers kCloseLinger so that
// the last ACK or a stray retransmission still finds it, then leaves silently.
void Engine::end_flow(Timestamp now, const FlowKey& key, FlowState& flow, EventKind why, nlohmann::json details) {
  details["phase"] = flow_phase_name(flow.phase);
  // Held client bytes of a connection that was reset: nobody will read them.
  flow.held.reset();
  flow.phase = FlowPhase::kClosing;
  ++counters_.flows_closed;
  record(now, why, key, std::move(details));
}

Disposition Engine::on_packet(Timestamp now, LinkSide from, ByteView ipv4) {
  Disposition d = Disposition::kForward;
  PacketError kind{};
  Result<Ipv4Packet> ip = parse_ipv4(ipv4, &kind);
  auto malformed = [&](std::string_view layer, const std::string& message) {
    ++counters_.malformed_packets;
    record(now, EventKind::kMalformed, std::nullopt,
           {{"layer", layer}, {"error", message}, {"from", from == LinkSide::kA ? "a" : "b"}});
  };
  if (!ip) {
    malformed("ipv4", ip.message());
  } else if (!ip->checksum_ok) {
    malformed("ipv4", "bad header checksum");
  } else if (ip->header.protocol == ip_protocol::kTcp && !ip->header.is_fragment()) {
    Result<TcpSegment> tcp = parse_tcp(*ip, &kind);
    if (!tcp) {
      malformed("tcp", tcp.message());
    } else if (!tcp->checksum_ok) {
      malformed("tcp", "bad checksum");
    } else {
      d = on_tcp(now, from, ipv4, TcpPacket{*ip, *tcp});
    }
  }
  // Anything else (other protocols, fragments) is not the engine's business: forwarded.
  if (d == Disposition::kForward) {
    ++counters_.packets_forwarded;
  } else {
    ++counters_.packets_dropped;
  }
  return d;
}

Disposition Engine::on_tcp(Timestamp now, LinkSide from, ByteView ipv4, const TcpPacket& packet) {
  const TcpHeader& h = packet.tcp.header;
  std::optional<Table::Match> match = table_.lookup(packet.ip.header.source.value, h.source_port,
                                                    packet.ip.header.destination.value, h.destination_port);
  if (!checks_.empty() || !finished_checks_.empty()) {
    // An answer to one of the box's own check connections: consumed, never forwarded.
    const FlowKey as_check{packet.ip.header.destination.value, h.destination_port, packet.ip.header.source.value,
                           h.source_port};
    if (auto it = checks_.find(as_check); it != checks_.end() && from == it->second->toward_server) {
      it->second->tcp.on_segment(now, packet);
      service_check(now, as_check);
      return Disposition::kDrop;
    }
    if (auto it = finished_checks_.find(as_check); it != finished_checks_.end()) {
      if (now <= it->second) return Disposition::kDrop;
      finished_checks_.erase(it);
    }
  }
  if (match) return on_tracked(now, from, ipv4, packet, *match);
  return on_untracked(now, from, packet);
}

Disposition Engine::on_untracked(Timestamp now, LinkSide from, const TcpPacket& packet) {
  const TcpHeader& h = packet.tcp.header;
  const FlowKey key{packet.ip.header.source.value, h.source_port, packet.ip.header.destination.value,
                    h.destination_port};
  if (h.has(tcp_flag::kSyn) && !h.has(tcp_flag::kAck) && !h.has(tcp_flag::kRst)) {
    ++counters_.flows_seen;
    if (!policy_.port_selected(key.server_port)) {
      count_pass(now, key, std::nullopt, PassReason::kPort, nlohmann::json::object());
      return Disposition::kForward;
    }
    FlowState state;
    state.phase = FlowPhase::kSynSeen;
    state.client_side = from;
    state.syn_time = now;
    state.client.isn = h.seq;
    const TcpOptionSummary opts = summarize_tcp_options(h.options);
    state.client.mss = opts.mss;
    state.client.window_scale = opts.window_scale;
    state.client.sack_permitted = opts.sack_permitted;
    track(state.client, now, packet);
    Table::Inserted ins = table_.insert(key, std::move(state), now);
    if (ins.outcome == InsertOutcome::kFull) {
      count_pass(now, key, std::nullopt, PassReason::kTableFull, {{"max_flows", table_.max_flows()}});
    }
    return Disposition::kForward;
  }
  if (h.has(tcp_flag::kRst)) return Disposition::kForward;
  // Mid-connection: the box missed the handshake. Enter it once so it is counted once.
  const bool to_selected = policy_.port_selected(key.server_port);
  const bool from_selected = policy_.port_selected(key.client_port);
  if (!to_selected && !from_selected) return Disposition::kForward;
  const FlowKey oriented = to_selected ? key : key.reversed();
  FlowState state;
  state.phase = FlowPhase::kPassthrough;
  state.pass_reason = PassReason::kHandshakeNotSeen;
  state.client_side = to_selected ? from : other_side(from);
  if (table_.insert(oriented, std::move(state), now).outcome == InsertOutcome::kInserted) {
    ++counters_.flows_seen;
    count_pass(now, oriented, std::nullopt, PassReason::kHandshakeNotSeen,
               {{"flags", tcp_flags_to_string(h.flags)}});
  }
  return Disposition::kForward;
}

// Follows one end's sequence space, window and TSval clock from what it sends.
void Engine::track(EndTrack& end, Timestamp now, const TcpPacket& packet) {
  const TcpHeader& h = packet.tcp.header;
  std::uint32_t end_seq = h.seq + static_cast<std::uint32_t>(packet.tcp.payload.size());
  if (h.has(tcp_flag::kSyn)) ++end_seq;
  if (h.has(tcp_flag::kFin)) ++end_seq;
  if (end.next_seq == 0 && end.isn == 0 && !end.acked) end.next_seq = end_seq;
  if (seq_after(end_seq, end.next_seq)) end.next_seq = end_seq;
  if (h.has(tcp_flag::kAck)) {
    if (!end.acked || seq_after(h.ack, end.last_ack)) end.last_ack = h.ack;
    end.acked = true;
  }
  end.window_field = h.window;
  end.window_in_syn = h.has(tcp_flag::kSyn);
  if (const TcpTimestamps* ts = find_tcp_option<TcpTimestamps>(h.options)) {
    // Keep the newest value: a reordered old segment must not move the clock back.
    if (!end.clock || static_cast<std::int32_t>(ts->value - end.clock->tsval) >= 0) {
      end.clock = TcpTimestampClock{ts->value, now};
    }
  }
  if (h.has(tcp_flag::kFin)) end.fin_seen = true;
}

Disposition Engine::on_tracked(Timestamp now, LinkSide from, ByteView ipv4, const TcpPacket& packet,
                               Table::Match match) {
  FlowState& flow = *match.state;
  const FlowKey key = match.key;
  const bool from_client = match.direction == FlowDirection::kClientToServer;
  const LinkSide expected = from_client ? flow.client_side : other_side(flow.client_side);
  // A segment of the flow on the wrong side of the bump (asymmetric routing, a spoof):
  // not the conversation the box follows, so it is neither learned from nor touched.
  if (from != expected) return Disposition::kForward;

  const TcpHeader& h = packet.tcp.header;
  const bool has_payload = !packet.tcp.payload.empty();

  if (from_client && h.has(tcp_flag::kSyn) && !h.has(tcp_flag::kAck) && !h.has(tcp_flag::kRst) &&
      (flow.phase == FlowPhase::kClosing ||
       (flow.phase == FlowPhase::kPassthrough && flow.pass_reason == PassReason::kHandshakeNotSeen))) {
    // A new connection on the 4-tuple of one that ended, or of one the box never saw begin:
    // the old entry gives way and the new flow is tracked from its SYN.
    table_.erase(key);
    return on_untracked(now, from, packet);
  }
  if (flow.phase == FlowPhase::kHijacked) return on_hijacked(now, packet, key, flow, from_client);
  if (flow.phase == FlowPhase::kClosing) {
    table_.touch(key, now);
    // After a hijack the two ends are out of step: their stray segments stay with the box.
    return flow.was_hijacked ? Disposition::kDrop : Disposition::kForward;
  }

  if (h.has(tcp_flag::kRst)) {
    track(from_client ? flow.client : flow.server, now, packet);
    end_flow(now, key, flow, EventKind::kFlowClosed, {{"by", from_client ? "client_rst" : "server_rst"}});
    table_.touch(key, now);
    return Disposition::kForward;
  }

  switch (flow.phase) {
    case FlowPhase::kSynSeen:
      if (from_client) {
        track(flow.client, now, packet);  // a retransmitted SYN
      } else if (h.has(tcp_flag::kSyn) && h.has(tcp_flag::kAck) && h.ack == flow.client.isn + 1) {
        flow.server.isn = h.seq;
        const TcpOptionSummary opts = summarize_tcp_options(h.options);
        flow.server.mss = opts.mss;
        flow.server.window_scale = opts.window_scale;
        flow.server.sack_permitted = opts.sack_permitted;
        flow.server.next_seq = h.seq;
        track(flow.server, now, packet);
        flow.phase = FlowPhase::kSynAckSeen;
      }
      table_.touch(key, now);
      return Disposition::kForward;

    case FlowPhase::kSynAckSeen:
      if (!from_client) {
        track(flow.server, now, packet);  // a retransmitted SYN-ACK
        table_.touch(key, now);
        return Disposition::kForward;
      }
      if (!h.has(tcp_flag::kAck) || h.ack != flow.server.isn + 1) {
        track(flow.client, now, packet);
        table_.touch(key, now);
        return Disposition::kForward;
      }
      flow.phase = FlowPhase::kAwaitingHello;
      record(now, EventKind::kFlowTracked, key,
             {{"client_side", flow.client_side == LinkSide::kA ? "a" : "b"},
              {"client", options_json(flow.client)},
              {"server", options_json(flow.server)}});
      if (!has_payload) {
        track(flow.client, now, packet);
        table_.touch(key, now);
        return Disposition::kForward;
      }
      return on_client_data(now, ipv4, packet, key, flow);

    case FlowPhase::kAwaitingHello:
    case FlowPhase::kCheckingOrigin:
      if (from_client) {
        if (has_payload) return on_client_data(now, ipv4, packet, key, flow);
        if (flow.phase == FlowPhase::kCheckingOrigin && h.has(tcp_flag::kFin)) {
          // Kept back like the hello it follows (the client will send it again): forwarded
          // now it would reach the server before the held hello; hijacked, the client leg
          // takes its retransmission.
          return Disposition::kDrop;
        }
        track(flow.client, now, packet);
        if (h.has(tcp_flag::kFin)) {
          // The client gave up before a whole hello: what it sent is released.
          Disposition d = pass(now, key, flow, PassReason::kNotTls, false, {{"client_fin_before_hello", true}});
          (void)d;
        }
        table_.touch(key, now);
        return Disposition::kForward;
      }
      if (has_payload && flow.phase == FlowPhase::kCheckingOrigin) {
        // The server speaking while the hello is held: not forwarded, or a later hijack
        // would speak for a server whose bytes the client has already seen. Unacknowledged,
        // the server sends them again to whichever end the box has settled on by then.
        return Disposition::kDrop;
      }
      track(flow.server, now, packet);
      if (has_payload && flow.phase == FlowPhase::kAwaitingHello) {
        // The server spoke first: not a TLS connection.
        Disposition d = pass(now, key, flow, PassReason::kNotTls, false, {{"server_spoke_first", true}});
        (void)d;
      }
      table_.touch(key, now);
      return Disposition::kForward;

    case FlowPhase::kPassthrough:
      track(from_client ? flow.client : flow.server, now, packet);
      if (flow.client.fin_seen && flow.server.fin_seen) {
        end_flow(now, key, flow, EventKind::kFlowClosed, {{"by", "fin"}});
      }
      table_.touch(key, now);
      return Disposition::kForward;

    case FlowPhase::kHijacked:
    case FlowPhase::kClosing:
      break;
  }
  table_.touch(key, now);
  return Disposition::kForward;
}

}  // namespace mitmlab
