// TcpEndpoint: segments to the peer and the retransmission timer.
#include <algorithm>

#include "interceptor/tcp/sequence-number.h"
#include "interceptor/tcp/tcp-endpoint.h"

namespace mitmlab {

namespace {
constexpr std::size_t kMaxSackBlocksWithTimestamps = 3;  // 10 + 2 + 2 + 3 * 8 <= 40 bytes
constexpr std::size_t kMaxSackBlocks = 4;
}  // namespace

std::optional<Bytes> TcpEndpoint::poll_transmit(Timestamp now) {
  if (rst_pending_) {
    rst_pending_ = false;
    // At snd_max_: the peer's rcv_nxt is at most that, so it falls inside its window.
    std::uint8_t flags = tcp_flag::kRst | (rst_with_ack_ ? tcp_flag::kAck : 0);
    return build(now, snd_max_, flags, {}, ts_enabled_ ? data_options(now) : TcpOptions{});
  }
  if (state_ == TcpState::kSynSent || state_ == TcpState::kSynReceived) return emit_syn(now);
  if (state_ == TcpState::kIdle || state_ == TcpState::kClosed) return std::nullopt;
  if (auto segment = emit_data(now)) return segment;
  if (ack_pending_) return build(now, snd_nxt_, tcp_flag::kAck, {}, data_options(now));
  return std::nullopt;
}

std::optional<Bytes> TcpEndpoint::emit_syn(Timestamp now) {
  if (snd_nxt_ != iss_) return std::nullopt;  // sent; waiting for the answer or the timer
  bool answer = state_ == TcpState::kSynReceived;
  TcpOptions options;
  options.push_back(TcpMss{cfg_.mss_option});
  // A SYN-ACK offers only what the SYN offered (RFC 7323, RFC 2018).
  if (answer ? sack_enabled_ : cfg_.sack) options.push_back(TcpSackPermitted{});
  if (answer ? ts_enabled_ : cfg_.timestamps)
    options.push_back(TcpTimestamps{clock_.at(now), answer ? ts_recent_ : 0});
  if (answer ? scaling_ : cfg_.window_scaling) {
    options.push_back(TcpNop{});
    options.push_back(TcpWindowScale{answer ? our_shift_ : cfg_.window_shift});
  }
  if (snd_max_ != iss_) {
    counters_.retransmissions++;
    syn_retransmitted_ = true;
  } else {
    rtt_timing_ = RttTiming{seq_add(iss_, 1), now};
  }
  std::uint8_t flags = tcp_flag::kSyn | (answer ? tcp_flag::kAck : 0);
  snd_nxt_ = snd_max_ = seq_add(iss_, 1);
  if (!timer(Timer::kRetransmit)) arm(Timer::kRetransmit, now + rtt_.rto());
  return build(now, iss_, flags, {}, std::move(options));
}

std::optional<Bytes> TcpEndpoint::emit_data(Timestamp now) {
  bool may_send = state_ == TcpState::kEstablished || state_ == TcpState::kCloseWait ||
                  state_ == TcpState::kFinWait1 || state_ == TcpState::kClosing ||
                  state_ == TcpState::kLastAck;
  if (!may_send || !syn_acked()) return std::nullopt;
  std::uint32_t end = data_end();
  bool fin_due = fin_queued_ && !fin_acked();

  // Fast retransmit or a partial ACK: the first unacknowledged segment, once, whatever the
  // windows say (RFC 5681 3.2).
  if (retransmit_one_) {
    retransmit_one_ = false;
    std::uint32_t start = seq_max(snd_una_, buffer_seq_);
    if (seq_lt(start, snd_max_)) {
      std::size_t len = std::min<std::size_t>(seq_diff(end, start), smss_);
      bool fin = fin_due && seq_add(start, len) == end && seq_gt(snd_max_, end);
      if (len > 0 || fin) return emit_segment(now, start, len, fin);
    }
  }

  if (seq_lt(snd_nxt_, buffer_seq_)) snd_nxt_ = buffer_seq_;  // adopted bytes we do not hold
  std::size_t available = static_cast<std::size_t>(std::max(0, seq_diff(end, snd_nxt_)));
  std::size_t window = std::min(cwnd_, peer_wnd_);
  std::size_t flight = bytes_in_flight();
  std::size_t usable = window > flight ? window - flight : 0;
  std::size_t len = std::min({available, smss_, usable});
  if (probe_pending_ && available > 0 && len == 0) {
    len = 1;  // zero-window probe
    counters_.window_probes++;
  }
  probe_pending_ = false;
  // The FIN rides on the segment that ends the data, or goes alone; it needs no window.
  bool fin = fin_due && seq_add(snd_nxt_, len) == end && len == available;
  if (len > 0 || fin) return emit_segment(now, snd_nxt_, len, fin);

  // Data waits on a zero window with nothing in flight: only the persist timer will get it
  // moving if the peer's window update is lost (RFC 9293 3.8.6.1).
  if (available > 0 && peer_wnd_ == 0 && flight == 0 && !timer(Timer::kRetransmit))
    arm(Timer::kRetransmit, now + rtt_.rto());
  return std::nullopt;
}

std::optional<Bytes> TcpEndpoint::emit_segment(Timestamp now, std::uint32_t seq, std::size_t length,
                                               bool fin) {
  ByteView payload = send_buf_.view(static_cast<std::size_t>(seq_diff(seq, buffer_seq_)), length);
  std::uint32_t end = seq_add(seq, payload.size() + (fin ? 1 : 0));
  if (seq_lt(seq, snd_max_)) {
    counters_.retransmissions++;
    // New bytes in a segment that starts with old ones (after a go-back) count as sent.
    if (seq_gt(end, snd_max_))
      counters_.bytes_sent += static_cast<std::size_t>(seq_diff(end, snd_max_)) - (fin ? 1 : 0);
  } else {
    counters_.bytes_sent += payload.size();
    if (!ts_enabled_ && !rtt_timing_ && !payload.empty()) rtt_timing_ = RttTiming{end, now};
  }
  if (seq_gt(end, snd_nxt_)) snd_nxt_ = end;
  if (seq_gt(end, snd_max_)) snd_max_ = end;
  if (!timer(Timer::kRetransmit)) arm(Timer::kRetransmit, now + rtt_.rto());  // RFC 6298 5.1
  std::uint8_t flags = tcp_flag::kAck;
  if (!payload.empty() && seq_add(seq, payload.size()) == data_end()) flags |= tcp_flag::kPsh;
  if (fin) flags |= tcp_flag::kFin;
  return build(now, seq, flags, payload, data_options(now));
}

void TcpEndpoint::on_retransmit_timeout(Timestamp now) {
  bool outstanding = seq_lt(snd_una_, snd_max_);
  bool handshake = state_ == TcpState::kSynSent || state_ == TcpState::kSynReceived;
  // Data waits on a zero window: this is the persist timer (RFC 9293 3.8.6.1).
  bool zero_window = !handshake && peer_wnd_ == 0 && seq_lt(snd_una_, data_end());
  if (!outstanding && !zero_window) return;
  if (retries_ >= cfg_.max_retransmissions) {
    enter_closed(TcpCloseReason::kTimeout);
    return;
  }
  retries_++;
  rtt_.back_off();  // RFC 6298 5.5; the persist timer backs off the same way
  if (zero_window) {
    // Probe with the first unacknowledged byte. Probing never gives up while the peer
    // answers: process_ack resets retries_ on every ACK of a zero window.
    probe_pending_ = true;
    snd_nxt_ = seq_max(snd_una_, buffer_seq_);
    return;
  }
  counters_.timeouts++;
  std::size_t flight = static_cast<std::size_t>(seq_diff(snd_max_, snd_una_));
  ssthresh_ = std::max(flight / 2, 2 * smss_);  // RFC 5681 (4)
  cwnd_ = smss_;
  dupacks_ = 0;
  recover_.reset();
  retransmit_one_ = false;
  rtt_timing_.reset();  // Karn: no sample from what is about to be sent again
  // Go back: everything after snd_una_ is sent again as the window reopens.
  snd_nxt_ = handshake ? iss_ : snd_una_;
}

TcpOptions TcpEndpoint::data_options(Timestamp now) const {
  TcpOptions options;
  if (ts_enabled_) {
    // NOP, NOP, timestamps: the 12-byte layout of RFC 7323 appendix A, as Linux and ns-3 send.
    options.push_back(TcpNop{});
    options.push_back(TcpNop{});
    options.push_back(TcpTimestamps{clock_.at(now), ts_recent_});
  }
  if (sack_enabled_ && !reassembly_.empty()) {
    // RFC 2018 4: the block holding the most recent arrival first, then the others.
    std::vector<ReassemblyBuffer::Range> ranges = reassembly_.ranges();
    if (last_out_of_order_) {
      auto latest = std::find_if(ranges.begin(), ranges.end(), [&](const auto& r) {
        return r.begin <= *last_out_of_order_ && *last_out_of_order_ < r.end;
      });
      if (latest != ranges.end()) std::rotate(ranges.begin(), latest, latest + 1);
    }
    std::size_t max_blocks = ts_enabled_ ? kMaxSackBlocksWithTimestamps : kMaxSackBlocks;
    TcpSack sack;
    for (const auto& r : ranges) {
      if (sack.blocks.size() == max_blocks) break;
      sack.blocks.push_back(
          {seq_add(rcv_nxt_, r.begin - rcv_abs_), seq_add(rcv_nxt_, r.end - rcv_abs_)});
    }
    options.push_back(TcpNop{});
    options.push_back(TcpNop{});
    options.push_back(std::move(sack));
  }
  return options;
}

std::uint16_t TcpEndpoint::window_field() const {
  std::size_t scaled = receive_window() >> our_shift_;
  return static_cast<std::uint16_t>(std::min<std::size_t>(scaled, 65535));
}

Bytes TcpEndpoint::build(Timestamp now, std::uint32_t seq, std::uint8_t flags, ByteView payload,
                         TcpOptions options) {
  bool syn = (flags & tcp_flag::kSyn) != 0;
  // A SYN's window is never scaled (RFC 7323 2.2).
  std::uint16_t window =
      syn ? static_cast<std::uint16_t>(std::min<std::size_t>(receive_window(), 65535))
          : window_field();
  bool has_ack = (flags & tcp_flag::kAck) != 0;
  if (has_ack && !syn) {
    ack_pending_ = false;  // every segment carrying ACK answers whatever was pending
    advertised_edge_ = seq_add(rcv_nxt_, std::size_t{window} << our_shift_);
  }
  counters_.segments_sent++;
  return build_tcp_packet(TcpPacketSpec{
      .source = addr_.local,
      .source_port = addr_.local_port,
      .destination = addr_.remote,
      .destination_port = addr_.remote_port,
      .seq = seq,
      .ack = has_ack ? rcv_nxt_ : 0,
      .flags = flags,
      // A RST carries our window like any segment, not Linux's 0: receivers ignore it, but
      // ns-3.37 copies an ACK-bearing segment's window into a listening socket, and a zero
      // window there arms a persist timer that crashes on an empty send buffer.
      .window = window,
      .options = std::move(options),
      .payload = payload,
      .ttl = cfg_.ttl,
      .identification = ip_id_++,
  });
}

}  // namespace mitmlab
