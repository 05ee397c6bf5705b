// TcpEndpoint: starting, the application side, timers and shared helpers. Segment input is in
// tcp-endpoint-input.cc, segment output in tcp-endpoint-output.cc.
#include "interceptor/tcp/tcp-endpoint.h"

#include <algorithm>

#include "interceptor/tcp/sequence-number.h"

namespace mitmlab {

namespace {
// RFC 7323: a shift above 14 is treated as 14.
constexpr std::uint8_t kMaxWindowShift = 14;
// Segments smaller than this are never produced, whatever the peer's MSS option says, so a
// hostile MSS of 0 cannot stall or flood us.
constexpr std::size_t kMinSegmentPayload = 64;
}  // namespace

TcpEndpoint::TcpEndpoint(TcpAddressPair addresses, TcpEndpointConfig config)
    : addr_(addresses),
      cfg_(config),
      ip_id_(config.first_ip_id),
      rtt_({config.initial_rto, config.min_rto, config.max_rto}),
      reassembly_(config.reassembly_cap_bytes) {}

bool TcpEndpoint::adopt(Timestamp now, const AdoptedState& s) {
  if (state_ != TcpState::kIdle) return false;
  state_ = TcpState::kEstablished;
  // Our ISN is unknown and irrelevant: pretend the SYN sat just before snd_una, so that
  // syn_acked() holds and data may flow.
  iss_ = s.snd_una - 1;
  snd_una_ = s.snd_una;
  snd_nxt_ = s.snd_nxt;
  snd_max_ = s.snd_nxt;
  buffer_seq_ = s.snd_nxt;
  rcv_nxt_ = s.rcv_nxt;
  irs_ = s.rcv_nxt - 1;
  peer_shift_ = std::min(s.peer_window_shift, kMaxWindowShift);
  our_shift_ = std::min(s.our_window_shift, kMaxWindowShift);
  peer_wnd_ = s.peer_window;
  max_peer_wnd_ = std::max(peer_wnd_, max_peer_wnd_);
  // The next segment from the peer (seq >= rcv_nxt - its window) updates the window.
  wl1_ = s.rcv_nxt - 1;
  wl2_ = s.snd_una;
  sack_enabled_ = s.sack_permitted;
  ts_enabled_ = s.timestamps;
  clock_ = s.clock;
  ts_recent_ = s.ts_recent;
  std::size_t payload = cfg_.default_peer_payload;
  if (s.peer_mss) payload = *s.peer_mss - std::min<std::size_t>(*s.peer_mss, ts_enabled_ ? 12 : 0);
  smss_ = std::max(kMinSegmentPayload, std::min(payload, cfg_.max_segment_payload));
  cwnd_ = cfg_.initial_cwnd_segments * smss_;
  if (s.rtt_hint) rtt_.on_sample(*s.rtt_hint);
  advertised_edge_ = rcv_nxt_;
  (void)now;
  return true;
}

bool TcpEndpoint::connect(Timestamp now, const TcpOpenOptions& o) {
  if (state_ != TcpState::kIdle) return false;
  state_ = TcpState::kSynSent;
  iss_ = o.isn;
  snd_una_ = snd_nxt_ = snd_max_ = iss_;  // snd_nxt_ == iss_: the SYN is due
  buffer_seq_ = seq_add(iss_, 1);
  clock_ = o.clock;
  smss_ =
      std::max(kMinSegmentPayload, std::min(cfg_.default_peer_payload, cfg_.max_segment_payload));
  (void)now;
  return true;
}

bool TcpEndpoint::accept(Timestamp now, const TcpPacket& syn, const TcpOpenOptions& o) {
  const TcpHeader& h = syn.tcp.header;
  if (state_ != TcpState::kIdle || !h.has(tcp_flag::kSyn) || h.has(tcp_flag::kAck) ||
      h.has(tcp_flag::kRst))
    return false;
  state_ = TcpState::kSynReceived;
  iss_ = o.isn;
  snd_una_ = snd_nxt_ = snd_max_ = iss_;
  buffer_seq_ = seq_add(iss_, 1);
  clock_ = o.clock;
  irs_ = h.seq;
  rcv_nxt_ = seq_add(h.seq, 1);
  advertised_edge_ = rcv_nxt_;
  apply_peer_syn_options(summarize_tcp_options(h.options));
  peer_wnd_ = h.window;  // never scaled in a SYN (RFC 7323 2.2)
  wl1_ = h.seq;
  wl2_ = iss_;
  counters_.segments_received++;
  (void)now;
  return true;
}

void TcpEndpoint::apply_peer_syn_options(const TcpOptionSummary& peer) {
  ts_enabled_ = cfg_.timestamps && peer.timestamps.has_value();
  if (ts_enabled_) ts_recent_ = peer.timestamps->value;
  sack_enabled_ = cfg_.sack && peer.sack_permitted;
  // Window scaling only when both sides sent the option.
  scaling_ = cfg_.window_scaling && peer.window_scale.has_value();
  if (scaling_) {
    peer_shift_ = std::min(*peer.window_scale, kMaxWindowShift);
    our_shift_ = std::min(cfg_.window_shift, kMaxWindowShift);
  } else {
    peer_shift_ = our_shift_ = 0;
  }
  // The MSS option counts no TCP options (RFC 6691): leave room for our timestamps.
  std::size_t payload = cfg_.default_peer_payload;
  if (peer.mss) payload = *peer.mss - std::min<std::size_t>(*peer.mss, ts_enabled_ ? 12 : 0);
  smss_ = std::max(kMinSegmentPayload, std::min(payload, cfg_.max_segment_payload));
  cwnd_ = cfg_.initial_cwnd_segments * smss_;
}

void TcpEndpoint::on_datagram(Timestamp now, ByteView ipv4) {
  auto packet = parse_tcp_packet(ipv4);
  if (!packet.ok() || !packet->tcp.checksum_ok) {
    counters_.malformed++;
    return;
  }
  on_segment(now, *packet);
}

std::size_t TcpEndpoint::send(ByteView data) {
  bool open = state_ == TcpState::kSynSent || state_ == TcpState::kSynReceived ||
              state_ == TcpState::kEstablished || state_ == TcpState::kCloseWait;
  if (!open || fin_queued_) return 0;
  std::size_t n = std::min(data.size(), send_capacity());
  send_buf_.append(data.first(n));
  return n;
}

std::size_t TcpEndpoint::send_capacity() const {
  return cfg_.send_buffer_bytes - std::min(cfg_.send_buffer_bytes, send_buf_.size());
}

void TcpEndpoint::close() {
  switch (state_) {
    case TcpState::kIdle:
    case TcpState::kSynSent:  // nothing the peer knows of yet: just forget it
      enter_closed(TcpCloseReason::kNormal);
      return;
    case TcpState::kSynReceived:  // the FIN waits for the handshake (on_syn_acked)
      fin_queued_ = true;
      return;
    case TcpState::kEstablished:
      fin_queued_ = true;
      state_ = TcpState::kFinWait1;
      return;
    case TcpState::kCloseWait:
      fin_queued_ = true;
      state_ = TcpState::kLastAck;
      return;
    default:
      return;  // already closing
  }
}

void TcpEndpoint::abort() {
  if (state_ == TcpState::kIdle || state_ == TcpState::kClosed) {
    enter_closed(reason_ == TcpCloseReason::kNone ? TcpCloseReason::kAborted : reason_);
    return;
  }
  // Only a connection the peer knows about gets a RST; a SYN never sent needs none.
  rst_pending_ = !(state_ == TcpState::kSynSent && snd_max_ == iss_);
  rst_with_ack_ = state_ != TcpState::kSynSent;  // in SynSent we know no sequence to ACK
  enter_closed(TcpCloseReason::kAborted);
}

Bytes TcpEndpoint::read(std::size_t max) {
  Bytes out = recv_buf_.take(max);
  // Reading frees window. Tell the peer when the edge moved by two segments or half the
  // buffer (RFC 9293 3.8.6.2.2, receiver-side silly window avoidance), so a peer stalled on a
  // full window resumes without waiting for its persist timer.
  if (!out.empty() && synchronized() && !peer_fin_consumed_) {
    std::uint32_t edge = seq_add(rcv_nxt_, (receive_window() >> our_shift_) << our_shift_);
    std::size_t step = std::min(2 * smss_, cfg_.receive_buffer_bytes / 2);
    if (seq_diff(edge, advertised_edge_) >= static_cast<std::int32_t>(step)) ack_pending_ = true;
  }
  return out;
}

std::optional<Timestamp> TcpEndpoint::next_timeout() const {
  std::optional<Timestamp> earliest;
  for (const auto& t : timers_)
    if (t && (!earliest || *t < *earliest)) earliest = t;
  return earliest;
}

void TcpEndpoint::on_timeout(Timestamp now) {
  if (const auto& t = timer(Timer::kTimeWait); t && now >= *t) {
    disarm(Timer::kTimeWait);
    enter_closed(TcpCloseReason::kNormal);
    return;
  }
  if (const auto& t = timer(Timer::kRetransmit); t && now >= *t) {
    disarm(Timer::kRetransmit);
    on_retransmit_timeout(now);
  }
}

std::size_t TcpEndpoint::bytes_in_flight() const {
  return static_cast<std::size_t>(std::max(0, seq_diff(snd_nxt_, snd_una_)));
}

bool TcpEndpoint::synchronized() const {
  switch (state_) {
    case TcpState::kEstablished:
    case TcpState::kFinWait1:
    case TcpState::kFinWait2:
    case TcpState::kCloseWait:
    case TcpState::kLastAck:
    case TcpState::kClosing:
    case TcpState::kTimeWait:
      return true;
    default:
      return false;
  }
}

bool TcpEndpoint::syn_acked() const { return seq_gt(snd_una_, iss_); }

bool TcpEndpoint::fin_acked() const { return fin_queued_ && seq_gt(snd_una_, data_end()); }

std::uint32_t TcpEndpoint::data_end() const { return seq_add(buffer_seq_, send_buf_.size()); }

std::size_t TcpEndpoint::receive_window() const {
  return cfg_.receive_buffer_bytes - std::min(cfg_.receive_buffer_bytes, recv_buf_.size());
}

void TcpEndpoint::enter_time_wait(Timestamp now) {
  state_ = TcpState::kTimeWait;
  disarm(Timer::kRetransmit);
  if (cfg_.time_wait <= Duration::zero()) {
    enter_closed(TcpCloseReason::kNormal);
    return;
  }
  arm(Timer::kTimeWait, now + cfg_.time_wait);
}

void TcpEndpoint::enter_closed(TcpCloseReason reason) {
  state_ = TcpState::kClosed;
  if (reason_ == TcpCloseReason::kNone) reason_ = reason;
  for (auto& t : timers_) t.reset();
  ack_pending_ = retransmit_one_ = probe_pending_ = false;
  // Unsent data is dropped; received data stays readable for the application.
  send_buf_.consume(send_buf_.size());
}

}  // namespace mitmlab
