// One side of one TCP connection, sans-I/O: segments in with the time, whole IPv4 datagrams
// out through poll_transmit(), one retransmission timer (plus the TIME_WAIT linger) through
// next_timeout()/on_timeout(). The interceptor uses it to speak for a side of a connection it
// took over (adopt) and for its own check connections (connect).
//
// Behaviour worth knowing, each a deliberate simplification:
// - ACKs: every segment that brings data or a FIN is acknowledged at once (no delayed ACK):
//   the relay is latency-bound and ACK volume is irrelevant at testbed rates. Segments that
//   arrive between two poll_transmit() calls share one cumulative ACK.
// - Sending: no Nagle; data goes out as soon as the windows allow. The congestion window
//   starts at IW10, grows by slow start then AIMD (RFC 5681); a timeout drops it to one
//   segment and goes back to snd_una (go-back-N); three duplicate ACKs retransmit the first
//   unacknowledged segment and partial ACKs the next one (NewReno-like, RFC 6582). The
//   peer's SACK blocks are not used; ours are sent so a SACK-capable peer recovers quickly.
// - Tolerance: segments without timestamps are accepted even once negotiated (ns-3 would drop
//   them; we are the peer and prefer to keep the connection alive); PAWS is not applied.
// - Hostile segments (far outside the window, acknowledging unsent data, RST outside the
//   window) are counted and dropped, never trusted. An unacceptable segment with data is
//   answered with an ACK (RFC 9293); an unacceptable pure ACK is not, so two endpoints that
//   disagree cannot start an ACK storm.
// - RST: accepted anywhere inside the receive window (RFC 793; RFC 5961's exact-match rule
//   with challenge ACKs is not applied), and in SynSent only if it acknowledges our SYN.
// - Timers: RTO per RFC 6298 with config.min_rto (1 s, as ns-3), doubling per expiry up to
//   config.max_rto; config.max_retransmissions consecutive expiries without progress (6, as
//   ns-3; Linux allows 15) end the connection with kTimeout. The same timer is the persist
//   timer while a zero window holds data back; probing goes on as long as the peer answers.
// - TIME_WAIT lingers config.time_wait (default 10 s) to re-ACK a repeated FIN or old data,
//   then Closed. For relaying purposes TimeWait already means "both directions ended".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "interceptor/tcp/byte-queue.h"
#include "interceptor/tcp/reassembly-buffer.h"
#include "interceptor/tcp/rtt-estimator.h"
#include "interceptor/tcp/tcp-endpoint-config.h"
#include "interceptor/tcp/tcp-state.h"
#include "interceptor/tcp/tcp-timestamp-clock.h"
#include "net/bytes.h"
#include "net/clock.h"
#include "net/tcp-options.h"
#include "net/tcp-segment.h"

namespace mitmlab {

class TcpEndpoint {
 public:
  explicit TcpEndpoint(TcpAddressPair addresses, TcpEndpointConfig config = {});

  // --- Starting (each only from kIdle; otherwise a no-op returning false) ---
  // Continue one side of an established connection.
  bool adopt(Timestamp now, const AdoptedState& state);
  // Active open: a SYN with MSS, SACK-permitted, timestamps and window scale as configured.
  bool connect(Timestamp now, const TcpOpenOptions& options);
  // Passive open from a received SYN (for tests and completeness): answers with a SYN-ACK
  // offering only what the SYN offered. False if `syn` is not a SYN without ACK.
  bool accept(Timestamp now, const TcpPacket& syn, const TcpOpenOptions& options);

  // --- Input ---
  // A segment from the peer. The caller has matched its addresses and ports.
  void on_segment(Timestamp now, const TcpPacket& packet);
  // Parses a whole datagram first; unparsable or bad-checksum datagrams are counted (malformed).
  void on_datagram(Timestamp now, ByteView ipv4);

  // --- Application side ---
  // Appends to the send buffer; returns how many bytes were taken (0 once close() was called
  // or the connection is not open, less than asked when the buffer is full).
  std::size_t send(ByteView data);
  std::size_t send_capacity() const;
  // Bytes given to send() and not yet acknowledged (sent or not).
  std::size_t send_buffered() const { return send_buf_.size(); }
  // Sends a FIN after every byte already given to send().
  void close();
  // Sends a RST at once and drops everything: state kClosed, reason kAborted.
  void abort();
  std::size_t readable() const { return recv_buf_.size(); }
  Bytes read(std::size_t max);
  // The peer's FIN arrived and every byte before it is in the receive stream.
  bool peer_finished() const { return peer_fin_consumed_; }

  // --- Output and time ---
  // The next datagram to send, or nothing; drain until empty after every call.
  std::optional<Bytes> poll_transmit(Timestamp now);
  std::optional<Timestamp> next_timeout() const;
  // At or after next_timeout(); an early or extra call does nothing.
  void on_timeout(Timestamp now);

  // --- Observation ---
  TcpState state() const { return state_; }
  TcpCloseReason close_reason() const { return reason_; }
  bool is_closed() const { return state_ == TcpState::kClosed; }
  const TcpCounters& counters() const { return counters_; }
  const TcpAddressPair& addresses() const { return addr_; }
  std::uint32_t snd_una() const { return snd_una_; }
  std::uint32_t snd_nxt() const { return snd_nxt_; }
  std::uint32_t snd_max() const { return snd_max_; }
  std::uint32_t rcv_nxt() const { return rcv_nxt_; }
  std::size_t bytes_in_flight() const;
  std::size_t peer_window() const { return peer_wnd_; }
  std::size_t cwnd() const { return cwnd_; }
  std::size_t segment_payload() const { return smss_; }
  Duration rto() const { return rtt_.rto(); }
  std::uint32_t tsval(Timestamp now) const { return clock_.at(now); }

 private:
  enum class Timer : std::uint8_t { kRetransmit, kTimeWait, kCount };

  // Input (tcp-endpoint-input.cc).
  void on_syn_sent(Timestamp now, const TcpPacket& packet);
  void on_syn_received(Timestamp now, const TcpPacket& packet);
  void on_synchronized(Timestamp now, const TcpPacket& packet);
  void on_time_wait(Timestamp now, const TcpPacket& packet);
  bool acceptable(const TcpHeader& h, std::size_t payload, bool& process_ack_only);
  void process_ack(Timestamp now, const TcpHeader& h, bool carries_data);
  void process_data(Timestamp now, const TcpHeader& h, ByteView payload);
  void update_ts_recent(const TcpHeader& h);
  void take_rtt_sample(Timestamp now, const TcpHeader& h);
  void on_syn_acked(Timestamp now, const TcpHeader& h);
  void apply_peer_syn_options(const TcpOptionSummary& peer);

  // Output (tcp-endpoint-output.cc).
  std::optional<Bytes> emit_syn(Timestamp now);
  std::optional<Bytes> emit_data(Timestamp now);
  std::optional<Bytes> emit_segment(Timestamp now, std::uint32_t seq, std::size_t length, bool fin);
  Bytes build(Timestamp now, std::uint32_t seq, std::uint8_t flags, ByteView payload,
              TcpOptions options);
  TcpOptions data_options(Timestamp now) const;
  std::uint16_t window_field() const;
  void on_retransmit_timeout(Timestamp now);

  // Shared helpers (tcp-endpoint.cc).
  bool synchronized() const;
  bool syn_acked() const;
  bool fin_acked() const;
  std::uint32_t data_end() const;
  std::size_t receive_window() const;
  void enter_time_wait(Timestamp now);
  void enter_closed(TcpCloseReason reason);
  void arm(Timer t, Timestamp at) { timers_[static_cast<std::size_t>(t)] = at; }
  void disarm(Timer t) { timers_[static_cast<std::size_t>(t)].reset(); }
  const std::optional<Timestamp>& timer(Timer t) const {
    return timers_[static_cast<std::size_t>(t)];
  }

  TcpAddressPair addr_;
  TcpEndpointConfig cfg_;
  TcpState state_ = TcpState::kIdle;
  TcpCloseReason reason_ = TcpCloseReason::kNone;
  TcpCounters counters_;
  std::array<std::optional<Timestamp>, static_cast<std::size_t>(Timer::kCount)> timers_{};
  std::uint16_t ip_id_ = 0;

  // Send side. Data byte k of send_buf_ has sequence number buffer_seq_ + k; our FIN, once
  // close() is called, takes data_end().
  std::uint32_t iss_ = 0;
  std::uint32_t snd_una_ = 0;
  std::uint32_t snd_nxt_ = 0;  // next to send; moved back to snd_una_ by a timeout
  std::uint32_t snd_max_ = 0;  // highest sequence number sent, plus one
  std::uint32_t buffer_seq_ = 0;
  ByteQueue send_buf_;
  bool fin_queued_ = false;
  bool rst_pending_ = false;
  bool rst_with_ack_ = false;
  bool ack_pending_ = false;
  bool retransmit_one_ = false;  // fast retransmit / partial ACK: resend the segment at snd_una_
  bool probe_pending_ = false;   // zero-window probe: one byte beyond the window
  std::size_t peer_wnd_ = 65535;
  std::size_t max_peer_wnd_ = 65535;
  std::uint8_t peer_shift_ = 0;
  std::uint8_t our_shift_ = 0;
  std::uint32_t wl1_ = 0;  // seq and ack of the segment that last updated peer_wnd_
  std::uint32_t wl2_ = 0;
  std::size_t smss_ = 1448;
  std::size_t cwnd_ = 0;
  std::size_t ssthresh_ = SIZE_MAX;
  unsigned dupacks_ = 0;
  std::optional<std::uint32_t> recover_;  // snd_max_ when fast recovery began
  unsigned retries_ = 0;
  RttEstimator rtt_;
  // Karn's algorithm when timestamps are off: the one segment being timed.
  struct RttTiming {
    std::uint32_t end_seq;
    Timestamp sent_at;
  };
  std::optional<RttTiming> rtt_timing_;
  bool syn_retransmitted_ = false;

  // Timestamps and SACK as negotiated.
  bool ts_enabled_ = false;
  bool sack_enabled_ = false;
  bool scaling_ = false;  // window scaling negotiated by connect()/accept()
  TcpTimestampClock clock_{};
  std::uint32_t ts_recent_ = 0;

  // Receive side. rcv_abs_ is rcv_nxt_ as a 64-bit offset into the peer's byte stream, so the
  // reassembly buffer never sees wrap-around.
  std::uint32_t irs_ = 0;
  std::uint32_t rcv_nxt_ = 0;
  std::uint64_t rcv_abs_ = 0;
  ByteQueue recv_buf_;
  ReassemblyBuffer reassembly_;
  std::optional<std::uint64_t> peer_fin_abs_;  // where the peer's FIN sits, once seen
  bool peer_fin_consumed_ = false;
  std::optional<std::uint64_t> last_out_of_order_;  // for the first SACK block (RFC 2018)
  std::uint32_t advertised_edge_ = 0;               // rcv_nxt_ + window last advertised
};

}  // namespace mitmlab
