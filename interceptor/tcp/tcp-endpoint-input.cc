// TcpEndpoint: segments from the peer (RFC 9293 section 3.10.7, "SEGMENT ARRIVES").
#include <algorithm>
#include <chrono>

#include "interceptor/tcp/sequence-number.h"
#include "interceptor/tcp/tcp-endpoint.h"

namespace mitmlab {

void TcpEndpoint::on_segment(Timestamp now, const TcpPacket& packet) {
  counters_.segments_received++;
  switch (state_) {
    case TcpState::kIdle:
    case TcpState::kClosed:
      // Nobody here. A real stack would answer with a RST; the box must not speak for a
      // connection it does not hold, so the segment is only counted.
      counters_.ignored++;
      return;
    case TcpState::kSynSent:
      on_syn_sent(now, packet);
      return;
    case TcpState::kSynReceived:
      on_syn_received(now, packet);
      return;
    case TcpState::kTimeWait:
      on_time_wait(now, packet);
      return;
    default:
      on_synchronized(now, packet);
      return;
  }
}

void TcpEndpoint::on_syn_sent(Timestamp now, const TcpPacket& packet) {
  const TcpHeader& h = packet.tcp.header;
  bool ack_ok = h.has(tcp_flag::kAck) && h.ack == seq_add(iss_, 1);
  if (h.has(tcp_flag::kAck) && !ack_ok) {
    if (h.has(tcp_flag::kRst))
      counters_.rst_ignored++;
    else
      counters_.ack_of_unsent++;
    return;
  }
  if (h.has(tcp_flag::kRst)) {
    if (ack_ok) {
      enter_closed(TcpCloseReason::kReset);
    } else {
      counters_.rst_ignored++;
    }
    return;
  }
  if (!h.has(tcp_flag::kSyn) || !ack_ok) {
    // A bare SYN would be a simultaneous open, which neither ns-3 nor a check connection
    // produces; not supported.
    counters_.ignored++;
    return;
  }
  irs_ = h.seq;
  rcv_nxt_ = seq_add(h.seq, 1);
  advertised_edge_ = rcv_nxt_;
  apply_peer_syn_options(summarize_tcp_options(h.options));
  peer_wnd_ = h.window;  // a SYN-ACK's window is never scaled
  max_peer_wnd_ = std::max(max_peer_wnd_, peer_wnd_);
  wl1_ = h.seq;
  wl2_ = h.ack;
  on_syn_acked(now, h);
  state_ = fin_queued_ ? TcpState::kFinWait1 : TcpState::kEstablished;
  ack_pending_ = true;
}

void TcpEndpoint::on_syn_received(Timestamp now, const TcpPacket& packet) {
  const TcpHeader& h = packet.tcp.header;
  if (h.has(tcp_flag::kRst)) {
    if (seq_in_range(h.seq, rcv_nxt_,
                     seq_add(rcv_nxt_, std::max<std::size_t>(1, receive_window()))))
      enter_closed(TcpCloseReason::kReset);
    else
      counters_.rst_ignored++;
    return;
  }
  if (h.has(tcp_flag::kSyn)) {
    // The peer repeats its SYN: our SYN-ACK was lost. Send it again now.
    if (h.seq == irs_ && !h.has(tcp_flag::kAck)) {
      counters_.duplicates++;
      snd_nxt_ = iss_;
    } else {
      counters_.out_of_window++;
    }
    return;
  }
  if (!h.has(tcp_flag::kAck) || h.ack != seq_add(iss_, 1)) {
    counters_.ack_of_unsent += h.has(tcp_flag::kAck) ? 1 : 0;
    counters_.ignored += h.has(tcp_flag::kAck) ? 0 : 1;
    return;
  }
  on_syn_acked(now, h);
  state_ = fin_queued_ ? TcpState::kFinWait1 : TcpState::kEstablished;
  // The ACK may carry data (and a window we have not taken yet): handle it like any other.
  on_synchronized(now, packet);
}

void TcpEndpoint::on_syn_acked(Timestamp now, const TcpHeader& h) {
  take_rtt_sample(now, h);
  snd_una_ = h.ack;
  if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
  if (seq_lt(snd_max_, snd_una_)) snd_max_ = snd_una_;
  retries_ = 0;
  disarm(Timer::kRetransmit);
}

void TcpEndpoint::take_rtt_sample(Timestamp now, const TcpHeader& h) {
  using std::chrono::milliseconds;
  if (ts_enabled_) {
    // RFC 7323 4.1: the echoed TSval dates the segment this ACK answers, even a retransmitted
    // one. Except when the retransmission was needless (only our ACK had been lost): the peer
    // then echoes the TSval of the original, possibly many backed-off RTOs ago (RFC 7323 4.3
    // updates TS.Recent only from in-sequence segments), and one such sample would inflate
    // SRTT to tens of seconds. So after timeouts the first ACK gives no sample; the ACKs of
    // the new data that follows do, and end the backoff. TSecr 0 may mean "no echo".
    const auto* ts = find_tcp_option<TcpTimestamps>(h.options);
    bool handshake = state_ == TcpState::kSynSent || state_ == TcpState::kSynReceived;
    if (retries_ > 0 && !handshake) return;
    if (ts && ts->echo_reply != 0) {
      std::int32_t ms = seq_diff(clock_.at(now), ts->echo_reply);
      if (ms >= 0 && milliseconds(ms) <= cfg_.max_rto) rtt_.on_sample(milliseconds(ms));
      return;
    }
  }
  if (state_ == TcpState::kSynSent || state_ == TcpState::kSynReceived) {
    // The SYN was sent when the timer was armed, one RTO ago; Karn: only if never re-sent.
    if (!syn_retransmitted_ && rtt_timing_) rtt_.on_sample(now - rtt_timing_->sent_at);
    rtt_timing_.reset();
    return;
  }
  if (rtt_timing_ && seq_geq(h.ack, rtt_timing_->end_seq)) {
    rtt_.on_sample(now - rtt_timing_->sent_at);
    rtt_timing_.reset();
  }
}

void TcpEndpoint::on_time_wait(Timestamp now, const TcpPacket& packet) {
  const TcpHeader& h = packet.tcp.header;
  if (h.has(tcp_flag::kRst)) {
    enter_closed(TcpCloseReason::kNormal);  // both FINs were exchanged already
    return;
  }
  // A repeated FIN means our last ACK was lost: ACK again and linger anew (RFC 9293). Old
  // data means the same (the peer retransmits from its snd_una, the FIN further on): ACK it,
  // or the peer retries into silence until it gives up.
  if (h.has(tcp_flag::kFin) || !packet.tcp.payload.empty()) {
    counters_.duplicates++;
    ack_pending_ = true;
    if (h.has(tcp_flag::kFin)) enter_time_wait(now);
    return;
  }
  counters_.ignored++;
}

bool TcpEndpoint::acceptable(const TcpHeader& h, std::size_t payload, bool& ack_only) {
  ack_only = false;
  std::size_t wnd = receive_window();
  std::size_t length = payload + (h.has(tcp_flag::kFin) ? 1 : 0);
  if (length == 0) {
    // A pure ACK. RFC 9293 wants rcv_nxt <= seq < rcv_nxt + wnd; we also take ones from a
    // little behind rcv_nxt (an ACK reordered behind the peer's data still says something).
    std::uint32_t low = seq_add(rcv_nxt_, -static_cast<std::int64_t>(cfg_.receive_buffer_bytes));
    if (seq_in_range(h.seq, low, seq_add(rcv_nxt_, wnd + 1))) return true;
    counters_.out_of_window++;  // not answered: see the header comment on ACK storms
    return false;
  }
  std::uint32_t end = seq_add(h.seq, length);
  if (seq_leq(end, rcv_nxt_)) {
    counters_.duplicates++;  // every byte already delivered: our ACK was lost, or this is a copy
    ack_pending_ = true;
    return false;
  }
  if (wnd == 0 && h.seq == rcv_nxt_) {
    // Zero window: no data fits, but the ACK and window fields still count (RFC 9293).
    ack_only = true;
    ack_pending_ = true;
    return true;
  }
  if (!seq_lt(h.seq, seq_add(rcv_nxt_, wnd))) {
    counters_.out_of_window++;
    ack_pending_ = true;
    return false;
  }
  return true;
}

void TcpEndpoint::on_synchronized(Timestamp now, const TcpPacket& packet) {
  const TcpHeader& h = packet.tcp.header;
  ByteView payload = packet.tcp.payload;

  if (h.has(tcp_flag::kRst)) {
    // RFC 793's rule: any RST inside the receive window resets the connection.
    std::size_t span = std::max<std::size_t>(1, receive_window());
    if (seq_in_range(h.seq, rcv_nxt_, seq_add(rcv_nxt_, span))) {
      enter_closed(TcpCloseReason::kReset);
    } else {
      counters_.rst_ignored++;
    }
    return;
  }
  if (h.has(tcp_flag::kSyn)) {
    // The peer repeats its SYN or SYN-ACK: our ACK of it was lost. Anything else is noise.
    if (h.seq == irs_) {
      counters_.duplicates++;
      ack_pending_ = true;
    } else {
      counters_.out_of_window++;
    }
    return;
  }
  if (!h.has(tcp_flag::kAck)) {
    counters_.ignored++;
    return;
  }
  bool ack_only = false;
  if (!acceptable(h, payload.size(), ack_only)) return;

  if (seq_gt(h.ack, snd_max_)) {
    counters_.ack_of_unsent++;
    ack_pending_ = true;  // RFC 9293: send an ACK, drop the segment
    return;
  }
  std::size_t behind = std::max<std::size_t>(max_peer_wnd_, 65535);
  if (seq_lt(h.ack, seq_add(snd_una_, -static_cast<std::int64_t>(behind)))) {
    counters_.old_acks++;  // RFC 5961 5.2: far too old to be genuine
    return;
  }
  update_ts_recent(h);
  bool carries = !payload.empty() || h.has(tcp_flag::kFin);
  process_ack(now, h, carries);
  if (state_ == TcpState::kClosed) return;
  if (state_ == TcpState::kTimeWait) {
    // Closing -> TimeWait on this ACK; a FIN riding on it is the peer's repeat: answer it.
    if (carries) ack_pending_ = true;
    return;
  }
  if (carries && !ack_only) process_data(now, h, payload);
}

void TcpEndpoint::update_ts_recent(const TcpHeader& h) {
  if (!ts_enabled_) return;
  const auto* ts = find_tcp_option<TcpTimestamps>(h.options);
  // RFC 7323 4.3: only from a segment that starts at or before what we acknowledge, and never
  // backwards, so an old retransmission cannot rewind the value we echo.
  if (ts && seq_leq(h.seq, rcv_nxt_) && seq_geq(ts->value, ts_recent_)) ts_recent_ = ts->value;
}

void TcpEndpoint::process_ack(Timestamp now, const TcpHeader& h, bool carries_data) {
  std::size_t new_wnd = std::size_t{h.window} << peer_shift_;
  bool window_update = seq_lt(wl1_, h.seq) || (wl1_ == h.seq && seq_leq(wl2_, h.ack));

  if (seq_gt(h.ack, snd_una_)) {
    std::size_t acked = static_cast<std::size_t>(seq_diff(h.ack, snd_una_));
    take_rtt_sample(now, h);
    snd_una_ = h.ack;
    if (seq_gt(snd_una_, buffer_seq_)) {
      std::size_t n = std::min<std::size_t>(seq_diff(snd_una_, buffer_seq_), send_buf_.size());
      send_buf_.consume(n);
      buffer_seq_ = seq_add(buffer_seq_, n);
    }
    if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
    retries_ = 0;
    dupacks_ = 0;
    if (recover_ && seq_lt(h.ack, *recover_)) {
      retransmit_one_ = true;  // partial ACK: the next hole is lost too (RFC 6582)
    } else if (recover_) {
      recover_.reset();
      cwnd_ = ssthresh_;
    } else if (cwnd_ < ssthresh_) {
      cwnd_ += std::min(acked, smss_);  // slow start (RFC 5681 3.1)
    } else {
      cwnd_ += std::max<std::size_t>(1, smss_ * smss_ / cwnd_);  // congestion avoidance
    }
    if (seq_lt(snd_una_, snd_max_))
      arm(Timer::kRetransmit, now + rtt_.rto());  // RFC 6298 5.3
    else
      disarm(Timer::kRetransmit);
    if (fin_queued_ && fin_acked()) {
      if (state_ == TcpState::kFinWait1) {
        state_ = TcpState::kFinWait2;
      } else if (state_ == TcpState::kClosing) {
        enter_time_wait(now);
      } else if (state_ == TcpState::kLastAck) {
        enter_closed(TcpCloseReason::kNormal);
        return;
      }
    }
  } else if (h.ack == snd_una_ && !carries_data && seq_lt(snd_una_, snd_max_) &&
             new_wnd == peer_wnd_ && new_wnd != 0) {
    // A duplicate ACK (RFC 5681 2): the third one triggers fast retransmit. The answers to
    // zero-window probes look the same and are not counted.
    if (++dupacks_ == 3 && (!recover_ || seq_gt(h.ack, *recover_))) {
      std::size_t flight = static_cast<std::size_t>(seq_diff(snd_max_, snd_una_));
      ssthresh_ = std::max(flight / 2, 2 * smss_);
      cwnd_ = ssthresh_;
      recover_ = snd_max_;
      retransmit_one_ = true;
      counters_.fast_retransmits++;
    }
  }

  if (window_update) {
    peer_wnd_ = new_wnd;
    max_peer_wnd_ = std::max(max_peer_wnd_, peer_wnd_);
    wl1_ = h.seq;
    wl2_ = h.ack;
  }
  // A peer that answers our zero-window probes is alive: probing never gives up on it.
  if (peer_wnd_ == 0 && h.ack == snd_una_) retries_ = 0;
}

void TcpEndpoint::process_data(Timestamp now, const TcpHeader& h, ByteView data) {
  if (peer_fin_consumed_) {
    counters_.ignored++;  // nothing may follow the peer's FIN
    ack_pending_ = true;
    return;
  }
  std::uint32_t seq = h.seq;
  bool fin = h.has(tcp_flag::kFin);
  // Drop what we already have...
  if (seq_lt(seq, rcv_nxt_)) {
    std::size_t cut = std::min<std::size_t>(seq_diff(rcv_nxt_, seq), data.size());
    data = data.subspan(cut);
    seq = seq_add(seq, cut);
  }
  // ...and what does not fit in the window; a FIN past the window goes with it.
  std::size_t room = static_cast<std::size_t>(seq_diff(seq_add(rcv_nxt_, receive_window()), seq));
  if (data.size() > room) {
    data = data.first(room);
    fin = false;
  }
  std::uint64_t abs = rcv_abs_ + static_cast<std::uint64_t>(seq_diff(seq, rcv_nxt_));
  bool fin_kept = fin;
  if (seq == rcv_nxt_) {
    recv_buf_.append(data);
    Bytes more = reassembly_.pop_contiguous(rcv_abs_ + data.size());
    recv_buf_.append(more);
    std::size_t delivered = data.size() + more.size();
    rcv_nxt_ = seq_add(rcv_nxt_, delivered);
    rcv_abs_ += delivered;
    counters_.bytes_received += delivered;
  } else if (!data.empty()) {
    switch (reassembly_.insert(rcv_abs_, abs, data)) {
      case ReassemblyBuffer::Insert::kStored:
        counters_.out_of_order_buffered++;
        last_out_of_order_ = abs;
        break;
      case ReassemblyBuffer::Insert::kDuplicate:
        counters_.duplicates++;
        break;
      case ReassemblyBuffer::Insert::kOverCap:
        counters_.out_of_order_dropped++;
        fin_kept = false;
        break;
    }
  }
  if (fin_kept && !peer_fin_abs_) peer_fin_abs_ = abs + data.size();
  if (peer_fin_abs_ && *peer_fin_abs_ == rcv_abs_) {
    peer_fin_consumed_ = true;
    rcv_nxt_ = seq_add(rcv_nxt_, 1);
    if (state_ == TcpState::kEstablished) {
      state_ = TcpState::kCloseWait;
    } else if (state_ == TcpState::kFinWait1) {
      state_ = TcpState::kClosing;  // our FIN is not acknowledged yet: the FINs crossed
    } else if (state_ == TcpState::kFinWait2) {
      enter_time_wait(now);
    }
  }
  ack_pending_ = true;
}

}  // namespace mitmlab
