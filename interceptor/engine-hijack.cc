// The hijack (facts §5, assumption "well supported"): the box stops forwarding the flow and
// speaks for both ends on the existing connection. Toward the client it continues the
// server's sequence and TSval spaces, acknowledges the held ClientHello and serves the
// forged chain; toward the server it continues the client's, from the client's address,
// with its own ClientHello. Plaintext is relayed unchanged and recorded.
#include <algorithm>
#include <utility>

#include "interceptor/engine.h"
#include "interceptor/forge/forger.h"
#include "interceptor/hijack-state.h"

namespace mitmlab {

namespace {

bool scaling_negotiated(const FlowState& f) { return f.client.window_scale && f.server.window_scale; }

// RFC 7323: a shift above 14 is taken as 14.
std::uint8_t shift_of(const EndTrack& end) { return std::min<std::uint8_t>(end.window_scale.value_or(0), 14); }

// The state of `self` continued toward `peer`, as the tracker saw both.
AdoptedState adopted(const FlowState& f, const EndTrack& self, const EndTrack& peer) {
  const bool scaled = scaling_negotiated(f);
  AdoptedState a;
  // Continue from what the peer has acknowledged: the server has acked only the client's
  // SYN (the hello was held), and the client has all the server sent (its SYN-ACK).
  a.snd_nxt = peer.acked ? peer.last_ack : self.isn + 1;
  a.snd_una = a.snd_nxt;
  a.rcv_nxt = peer.isn + 1;
  a.peer_window_shift = scaled ? shift_of(peer) : 0;
  a.our_window_shift = scaled ? shift_of(self) : 0;
  a.peer_window = peer.window_in_syn ? std::size_t{peer.window_field}
                                     : std::size_t{peer.window_field} << a.peer_window_shift;
  a.peer_mss = peer.mss;
  a.sack_permitted = self.sack_permitted && peer.sack_permitted;
  a.timestamps = self.clock.has_value() && peer.clock.has_value();
  if (a.timestamps) {
    a.clock = *self.clock;
    a.ts_recent = peer.clock->tsval;
  }
  return a;
}

// Both FINs exchanged and every data byte acknowledged; at most our FIN is outstanding. An
// ns-3 peer that closed first and then received data does not always acknowledge the FIN
// that follows, so waiting for that ACK would keep a finished flow until a minute of
// retransmissions gave up.
bool leg_finished(const TcpEndpoint& t) {
  if (t.is_closed()) return true;
  const bool fins = t.state() == TcpState::kLastAck || t.state() == TcpState::kClosing ||
                    t.state() == TcpState::kTimeWait;
  return fins && t.peer_finished() && t.snd_max() - t.snd_una() <= 1;
}

void append(Bytes& to, const Bytes& more) { to.insert(to.end(), more.begin(), more.end()); }

// Hands as much of `pending` to the endpoint as its send buffer takes.
bool flush(TcpEndpoint& tcp, Bytes& pending) {
  if (pending.empty()) return false;
  const std::size_t taken = tcp.send(pending);
  pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(taken));
  return taken > 0;
}

}  // namespace

void Engine::start_hijack(Timestamp now, const FlowKey& key, FlowState& flow, const OriginRecord& origin_record) {
  const bool can_forge = deps_.forger && origin_record.leaf;
  Result<std::shared_ptr<const ForgedChain>> forged = Error{"no forger"};
  const std::uint64_t hits_before = can_forge ? deps_.forger->counters().hits : 0;
  if (can_forge) forged = deps_.forger->forge(*origin_record.leaf);
  if (!forged) {
    // Without a chain to serve the box cannot speak for the server: the flow goes on.
    (void)pass(now, key, flow, PassReason::kUntrustedOrigin, false, {{"forge_error", forged.message()}});
    return;
  }
  const bool cached = deps_.forger->counters().hits > hits_before;
  ++(cached ? counters_.forge_cache_hits : counters_.forgeries);
  const std::shared_ptr<const ForgedChain> chain = forged.value();
  record(now, EventKind::kForge, key,
         {{"cached", cached}, {"leaf_sha256", to_hex(x509_sha256(chain->leaf.get()))},
          {"origin_leaf_sha256", to_hex(x509_sha256(origin_record.leaf.get()))}});

  TerminationOptions options;
  options.max_version = config_.max_client_tls_version;
  Result<ClientTermination> term =
      ClientTermination::create(ServedChain{chain->leaf.get(), {chain->intermediate.get()}, chain->leaf_key.get()},
                                options);
  Result<OriginClient> origin = OriginClient::create(origin_profile_, flow.sni.value_or(""));
  if (!term || !origin) {
    (void)pass(now, key, flow, PassReason::kUntrustedOrigin, false,
               {{"tls_setup_error", !term ? term.message() : origin.message()}});
    return;
  }

  TcpEndpointConfig tcp_config;
  tcp_config.ttl = config_.injected_ttl;
  TcpEndpoint client_leg(TcpAddressPair{Ipv4Address(key.server_addr), key.server_port, Ipv4Address(key.client_addr),
                                        key.client_port},
                         tcp_config);
  TcpEndpoint server_leg(TcpAddressPair{Ipv4Address(key.client_addr), key.client_port, Ipv4Address(key.server_addr),
                                        key.server_port},
                         tcp_config);
  client_leg.adopt(now, adopted(flow, flow.server, flow.client));
  server_leg.adopt(now, adopted(flow, flow.client, flow.server));

  auto h = std::make_shared<HijackState>(std::move(client_leg), std::move(server_leg), std::move(term.value()),
                                         std::move(origin.value()), chain);
  h->to_server = h->origin.take_output();  // the box's ClientHello
  // The held segments (the client's hello, and anything after it) go to the client leg as
  // if they had just arrived: it acknowledges them and hands the bytes to the termination.
  if (flow.held) {
    for (const Bytes& p : flow.held->packets) h->client_leg.on_datagram(now, p);
    flow.held.reset();
  }
  flow.hijack = std::move(h);
  flow.phase = FlowPhase::kHijacked;
  hijacked_.insert(key);
  ++counters_.flows_hijacked;
  const HijackState& legs = *flow.hijack;
  record(now, EventKind::kHijack, key,
         {{"sni", flow.sni.value_or("")},
          {"client_leg", {{"snd_nxt", legs.client_leg.snd_nxt()}, {"rcv_nxt", legs.client_leg.rcv_nxt()}}},
          {"server_leg", {{"snd_nxt", legs.server_leg.snd_nxt()}, {"rcv_nxt", legs.server_leg.rcv_nxt()}}},
          {"origin_profile", origin_profile_.name}});
  table_.touch(key, now);
  service_hijack(now, key, flow);
}

Disposition Engine::on_hijacked(Timestamp now, const TcpPacket& packet, const FlowKey& key, FlowState& flow,
                                bool from_client) {
  HijackState& h = *flow.hijack;
  (from_client ? h.client_leg : h.server_leg).on_segment(now, packet);
  table_.touch(key, now);
  service_hijack(now, key, flow);
  return Disposition::kDrop;
}

void Engine::drain_legs(Timestamp now, FlowState& flow) {
  HijackState& h = *flow.hijack;
  while (std::optional<Bytes> p = h.client_leg.poll_transmit(now)) {
    ++counters_.packets_injected;
    inject(flow.client_side, std::move(*p));
  }
  while (std::optional<Bytes> p = h.server_leg.poll_transmit(now)) {
    ++counters_.packets_injected;
    inject(other_side(flow.client_side), std::move(*p));
  }
}

void Engine::service_hijack(Timestamp now, const FlowKey& key, FlowState& flow) {
  HijackState& h = *flow.hijack;
  const std::size_t bound = config_.bounds.max_buffered_bytes_per_flow;
  // Moves bytes until nothing moves; each pass can only shrink what is pending, and input
  // arrives only from the endpoints' bounded buffers, so this ends.
  for (bool progress = true; progress;) {
    progress = false;
    // Client -> origin. Not read while the origin side is backed up: the client leg's
    // window then closes and the client waits, instead of the box buffering without bound.
    if (h.client_leg.readable() > 0 && h.to_server.size() < bound) {
      h.termination.feed(h.client_leg.read(h.client_leg.readable()));
      progress = true;
    }
    if (Bytes plain = h.termination.read_plaintext(); !plain.empty()) {
      h.recorder.on_client_to_server(plain);
      counters_.bytes_client_to_origin += plain.size();
      (void)h.origin.write_plaintext(plain);
      progress = true;
    }
    // Origin -> client, likewise bounded.
    if (h.server_leg.readable() > 0 && h.to_client.size() < bound) {
      h.origin.feed(h.server_leg.read(h.server_leg.readable()));
      progress = true;
    }
    if (Bytes plain = h.origin.read_plaintext(); !plain.empty()) {
      h.recorder.on_server_to_client(plain);
      counters_.bytes_origin_to_client += plain.size();
      (void)h.termination.write_plaintext(plain);
      progress = true;
    }
    append(h.to_client, h.termination.take_output());
    append(h.to_server, h.origin.take_output());
    progress |= flush(h.client_leg, h.to_client);
    progress |= flush(h.server_leg, h.to_server);
  }

  // A client that rejects the forged chain, or any other TLS failure toward the client:
  // documented choice, RST on both legs (facts §1 leaves what the box did unknown).
  if (h.termination.state() == TlsLegState::failed) {
    const TlsFailure failure = h.termination.failure().value_or(TlsFailure{});
    if (failure.kind == TlsFailureKind::peer_alert) {
      ++counters_.client_alerts;
      record(now, EventKind::kClientAlert, key,
             {{"alert", failure.alert_name},
              {"alert_code", failure.alert.value_or(0)},
              {"sni", flow.sni.value_or("")}});
      end_hijack(now, key, flow, "client_alert", true);
    } else {
      ++counters_.client_tls_errors;
      end_hijack(now, key, flow, "client_tls_error", true);
    }
    return;
  }
  if (h.origin.state() == TlsLegState::failed) {
    end_hijack(now, key, flow, "origin_tls_error", true);
    return;
  }
  // A leg reset or timed out by its peer: the other leg is reset too.
  if (h.client_leg.is_closed() && h.client_leg.close_reason() != TcpCloseReason::kNormal) {
    end_hijack(now, key, flow, h.client_leg.close_reason() == TcpCloseReason::kReset ? "client_rst" : "client_timeout",
               true);
    return;
  }
  if (h.server_leg.is_closed() && h.server_leg.close_reason() != TcpCloseReason::kNormal) {
    end_hijack(now, key, flow, h.server_leg.close_reason() == TcpCloseReason::kReset ? "server_rst" : "server_timeout",
               true);
    return;
  }
  // An orderly close on one side is passed on once everything before it has been relayed:
  // close_notify from the box's TLS leg, then a FIN.
  if (!h.client_close_relayed && h.client_leg.peer_finished() && h.client_leg.readable() == 0) {
    h.origin.close();
    append(h.to_server, h.origin.take_output());
    flush(h.server_leg, h.to_server);
    if (h.to_server.empty()) {
      h.server_leg.close();
      h.client_close_relayed = true;
    }
  }
  if (!h.server_close_relayed && h.server_leg.peer_finished() && h.server_leg.readable() == 0) {
    h.termination.close();
    append(h.to_client, h.termination.take_output());
    flush(h.client_leg, h.to_client);
    if (h.to_client.empty()) {
      h.client_leg.close();
      h.server_close_relayed = true;
    }
  }
  drain_legs(now, flow);
  if (h.client_close_relayed && h.server_close_relayed && leg_finished(h.client_leg) &&
      leg_finished(h.server_leg)) {
    end_hijack(now, key, flow, "fin", false);
  }
}

void Engine::end_hijack(Timestamp now, const FlowKey& key, FlowState& flow, std::string_view by, bool reset,
                        EventKind kind) {
  HijackState& h = *flow.hijack;
  if (reset) {
    if (!h.client_leg.is_closed()) h.client_leg.abort();
    if (!h.server_leg.is_closed()) h.server_leg.abort();
  }
  drain_legs(now, flow);
  counters_.retransmissions += h.client_leg.counters().retransmissions + h.server_leg.counters().retransmissions;
  EngineEvent relay;
  relay.time = now;
  relay.kind = EventKind::kRelay;
  relay.flow = key;
  relay.sni = flow.sni;
  relay.details = h.recorder.record();
  relay.details["ended_by"] = by;
  events_.record(std::move(relay));
  flow.hijack.reset();
  flow.was_hijacked = true;
  hijacked_.erase(key);
  if (kind == EventKind::kFlowClosed) {
    end_flow(now, key, flow, kind, {{"by", by}});
    table_.touch(key, now);
  }
}

}  // namespace mitmlab

