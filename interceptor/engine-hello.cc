// Client payload before the decision: ClientHello reassembly, holding, the policy's
// decision, passthrough and the release of held segments.
#include <utility>
#include <variant>

#include "interceptor/engine.h"

namespace mitmlab {

void Engine::count_pass(Timestamp now, const FlowKey& key, const std::optional<std::string>& sni,
                        PassReason reason, nlohmann::json details) {
  counters_.count_passthrough(reason);
  EngineEvent e;
  e.time = now;
  e.kind = EventKind::kDecision;
  e.flow = key;
  e.sni = sni;
  e.verdict = EventVerdict::kPassthrough;
  e.reason = reason;
  e.details = std::move(details);
  events_.record(std::move(e));
}

Disposition Engine::release(FlowState& flow, bool current_held) {
  if (!flow.held) return Disposition::kForward;
  std::vector<Bytes>& packets = flow.held->packets;
  Disposition d = Disposition::kForward;
  if (current_held && packets.size() == 1) {
    // Decided on the segment in hand, nothing held before it: it simply goes on.
    packets.clear();
  } else {
    if (current_held) ++counters_.packets_held;
    for (Bytes& p : packets) {
      ++counters_.packets_released;
      inject(other_side(flow.client_side), std::move(p));
    }
    packets.clear();
    d = current_held ? Disposition::kDrop : Disposition::kForward;
  }
  flow.held.reset();
  return d;
}

Disposition Engine::pass(Timestamp now, const FlowKey& key, FlowState& flow, PassReason reason, bool current_held,
                         nlohmann::json details) {
  count_pass(now, key, flow.sni, reason, std::move(details));
  flow.phase = FlowPhase::kPassthrough;
  flow.pass_reason = reason;
  const Disposition d = release(flow, current_held);
  table_.touch(key, now);
  return d;
}

Disposition Engine::on_client_data(Timestamp now, ByteView ipv4, const TcpPacket& packet, const FlowKey& key,
                                   FlowState& flow) {
  const TcpHeader& h = packet.tcp.header;
  const ByteView payload = packet.tcp.payload;
  if (!flow.held) {
    flow.held = std::make_unique<HeldHello>(config_.bounds.max_held_bytes_per_flow);
    flow.held->stream_next = flow.client.isn + 1;
  }
  HeldHello& held = *flow.held;
  const auto start_off = static_cast<std::int32_t>(h.seq - held.stream_next);
  const auto end_off = static_cast<std::int32_t>(h.seq + static_cast<std::uint32_t>(payload.size()) - held.stream_next);

  if (end_off <= 0 && !held.packets.empty()) {
    // Nothing new: the client retransmitting what the box holds (it has not been
    // acknowledged). Absorbed, and not activity: a hello that never completes idles out.
    return Disposition::kDrop;
  }
  track(flow.client, now, packet);
  if (end_off <= 0) {
    // Before the first byte of the stream: nonsense, not the box's business.
    table_.touch(key, now);
    return Disposition::kForward;
  }

  held.packets.emplace_back(ipv4.begin(), ipv4.end());
  held.bytes += payload.size();

  if (flow.phase == FlowPhase::kCheckingOrigin) {
    // More client bytes while the origin is checked (early data, a second flight): kept
    // with the hello, up to the bound; beyond it dropped, the client will send them again.
    if (held.bytes > config_.bounds.max_held_bytes_per_flow) {
      held.bytes -= payload.size();
      held.packets.pop_back();
      return Disposition::kDrop;
    }
    ++counters_.packets_held;
    table_.touch(key, now);
    return Disposition::kDrop;
  }

  if (held.bytes > config_.bounds.max_held_bytes_per_flow) {
    ++counters_.held_bytes_overflows;
    return pass(now, key, flow, PassReason::kMalformedClientHello, true,
                {{"held_bytes_overflow", held.bytes}});
  }
  if (start_off > 0) {
    // A gap before it: kept, fed once the gap is filled by the client's retransmission...
    // which the reassembler cannot take out of order, so it is fed nothing now and the
    // retransmission of the missing bytes carries the stream forward.
    ++counters_.packets_held;
    table_.touch(key, now);
    return Disposition::kDrop;
  }
  const ByteView fresh = payload.subspan(static_cast<std::size_t>(-start_off));
  held.stream_next = h.seq + static_cast<std::uint32_t>(payload.size());
  ClientHelloReassembler::Outcome outcome = held.reassembler.feed(fresh);

  if (std::holds_alternative<ClientHelloReassembler::NeedMore>(outcome)) {
    ++counters_.packets_held;
    table_.touch(key, now);
    return Disposition::kDrop;
  }
  if (auto* not_tls = std::get_if<ClientHelloReassembler::NotTls>(&outcome)) {
    return pass(now, key, flow, PassReason::kNotTls, true, {{"error", not_tls->reason}});
  }
  if (auto* bad = std::get_if<ClientHelloReassembler::Malformed>(&outcome)) {
    record(now, EventKind::kMalformed, key,
           {{"layer", "client_hello"}, {"error", bad->error.message}, {"code", tls_errc_name(bad->error.code)}});
    return pass(now, key, flow, PassReason::kMalformedClientHello, true,
                {{"error", bad->error.message}, {"code", tls_errc_name(bad->error.code)}});
  }
  const auto& complete = std::get<ClientHelloReassembler::Complete>(outcome);
  flow.sni = complete.hello.sni();
  return decide(now, key, flow, true);
}

Disposition Engine::decide(Timestamp now, const FlowKey& key, FlowState& flow, bool current_held) {
  const PolicyDecision decision =
      policy_.decide(key, flow.sni ? std::optional<std::string_view>(*flow.sni) : std::nullopt, now);
  if (!decision.intercept) return pass(now, key, flow, decision.reason, current_held);

  EngineEvent e;
  e.time = now;
  e.kind = EventKind::kDecision;
  e.flow = key;
  e.sni = flow.sni;
  e.verdict = EventVerdict::kIntercept;
  if (!deps_.judge) {
    // Decide-only: what the box would have intercepted, while the traffic flows untouched.
    e.details = {{"action", "observe_only"}};
    events_.record(std::move(e));
    flow.phase = FlowPhase::kPassthrough;
    const Disposition d = release(flow, current_held);
    table_.touch(key, now);
    return d;
  }
  e.details = {{"action", "check_origin"}};
  events_.record(std::move(e));
  return begin_intercept(now, key, flow, current_held);
}

}  // namespace mitmlab
