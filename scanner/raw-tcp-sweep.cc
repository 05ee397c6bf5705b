#include "scanner/raw-tcp-sweep.h"

#include <algorithm>

#include "net/tcp-options.h"

namespace mitmlab {
namespace {

constexpr std::uint8_t kHandshakeTtl = 64;
constexpr std::uint16_t kOurMss = 1448;
constexpr std::uint16_t kOurWindow = 65535;

std::int32_t seq_diff(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b); }

}  // namespace

RawTcpSweep::RawTcpSweep(const SweepSettings& settings, const RawEndpoints& endpoints,
                         std::unique_ptr<ChainReader> reader)
    : ladder_(settings), ends_(endpoints), reader_(std::move(reader)) {}

void RawTcpSweep::send(std::uint8_t flags, std::uint32_t seq, ByteView payload,
                       std::uint8_t ttl, std::uint16_t identification, bool with_mss) {
  TcpPacketSpec spec{.source = ends_.local,
                     .source_port = ends_.local_port,
                     .destination = ends_.host,
                     .destination_port = ends_.host_port,
                     .seq = seq,
                     .ack = (flags & tcp_flag::kAck) ? rcv_nxt_ : 0,
                     .flags = flags,
                     .window = kOurWindow,
                     .options = {},
                     .payload = payload,
                     .ttl = ttl,
                     .identification = identification};
  if (with_mss) spec.options.push_back(TcpMss{kOurMss});
  outbox_.push_back(build_tcp_packet(spec));
}

void RawTcpSweep::start(Timestamp now) {
  connect_deadline_ = now + ladder_.settings().connect_timeout;
  send_syn(now);
}

void RawTcpSweep::send_syn(Timestamp now) {
  syn_sent_at_ = now;
  syn_retry_at_ = now + syn_backoff_;
  syn_backoff_ *= 2;
  send(tcp_flag::kSyn, ends_.isn, {}, kHandshakeTtl, ends_.id_base, true);
}

void RawTcpSweep::send_ack() {
  send(tcp_flag::kAck, snd_nxt_, {}, kHandshakeTtl, ends_.id_base);
}

void RawTcpSweep::send_hello() {
  const Bytes& hello = reader_->hello();
  const unsigned ttl = *ladder_.current();
  const auto id = static_cast<std::uint16_t>(ends_.id_base + ttl);
  std::uint32_t seq = ends_.isn + 1;
  for (std::size_t at = 0; at < hello.size(); at += segment_size_) {
    std::size_t n = std::min<std::size_t>(segment_size_, hello.size() - at);
    bool last = at + n == hello.size();
    send(tcp_flag::kAck | (last ? tcp_flag::kPsh : 0), seq, ByteView(hello).subspan(at, n),
         static_cast<std::uint8_t>(ttl), id);
    seq += static_cast<std::uint32_t>(n);
  }
  snd_nxt_ = seq;
}

void RawTcpSweep::next_ttl(Timestamp now) {
  if (!ladder_.begin_next(now)) {
    ladder_.fail(fmt::format("no answer from the host up to TTL {}", ladder_.settings().max_ttl));
    finish(true);
    return;
  }
  send_hello();
}

void RawTcpSweep::on_tcp(Timestamp now, const TcpSegment& segment) {
  switch (state_) {
    case State::syn_sent: on_handshake(now, segment); break;
    case State::sweeping: on_answer(now, segment); break;
    case State::collecting: collect(now, segment); break;
    case State::done: break;
  }
}

void RawTcpSweep::on_handshake(Timestamp now, const TcpSegment& segment) {
  const TcpHeader& h = segment.header;
  const bool acks_syn = h.has(tcp_flag::kAck) && h.ack == ends_.isn + 1;
  if (h.has(tcp_flag::kRst)) {
    if (!h.has(tcp_flag::kAck) || acks_syn) {
      ladder_.fail("connection refused (RST to our SYN)");
      finish(false);
    }
    return;
  }
  if (!h.has(tcp_flag::kSyn) || !acks_syn) return;
  ladder_.result.rtt = now - syn_sent_at_;
  rcv_nxt_ = h.seq + 1;
  snd_nxt_ = ends_.isn + 1;
  if (auto mss = summarize_tcp_options(h.options).mss; mss && *mss > 0)
    segment_size_ = std::min(kOurMss, *mss);
  else
    segment_size_ = 536;
  send_ack();
  state_ = State::sweeping;
  next_ttl(now);
}

void RawTcpSweep::on_answer(Timestamp now, const TcpSegment& segment) {
  const TcpHeader& h = segment.header;
  if (h.has(tcp_flag::kSyn)) {  // our handshake ACK was lost: say it again
    if (h.has(tcp_flag::kAck) && h.ack == ends_.isn + 1) send_ack();
    return;
  }
  const bool acks_hello = h.has(tcp_flag::kAck) && seq_diff(h.ack, ends_.isn + 1) > 0;
  if (!h.has(tcp_flag::kRst) && !h.has(tcp_flag::kFin) && segment.payload.empty() && !acks_hello)
    return;  // a bare duplicate ACK says nothing about the hello
  ladder_.record_answer();
  if (h.has(tcp_flag::kRst)) {
    finish(false);
    return;
  }
  state_ = State::collecting;
  collect_deadline_ = now + ladder_.collect_wait();
  collect(now, segment);
}

void RawTcpSweep::collect(Timestamp now, const TcpSegment& segment) {
  const TcpHeader& h = segment.header;
  if (h.has(tcp_flag::kRst)) {
    finish(false);
    return;
  }
  if (h.has(tcp_flag::kSyn)) return;
  ByteView data = segment.payload;
  std::int32_t offset = seq_diff(rcv_nxt_, h.seq);  // bytes of this segment we already have
  bool in_order = offset >= 0 && static_cast<std::size_t>(offset) <= data.size();
  bool finished = false;
  if (in_order) {
    ByteView fresh = data.subspan(static_cast<std::size_t>(offset));
    rcv_nxt_ += static_cast<std::uint32_t>(fresh.size());
    if (!fresh.empty()) finished = reader_->feed(now, fresh);
    if (h.has(tcp_flag::kFin)) {
      rcv_nxt_ += 1;
      finished = true;
    }
  }
  if (finished) {
    finish(true);
    return;
  }
  if (!data.empty() || h.has(tcp_flag::kFin)) send_ack();  // in order or a duplicate ACK
}

bool RawTcpSweep::on_time_exceeded(Timestamp, Ipv4Address from, const QuotedDatagram& quoted) {
  if (state_ != State::sweeping && state_ != State::collecting) return false;
  // Only our hello segments were sent with a TTL that can expire on the way.
  if (quoted.tcp_seq && (seq_diff(*quoted.tcp_seq, ends_.isn + 1) < 0 ||
                         seq_diff(*quoted.tcp_seq, snd_nxt_) >= 0))
    return false;
  unsigned ttl = *ladder_.current();
  if (quoted.ip) {
    auto sent_with = static_cast<std::uint16_t>(quoted.ip->header.identification - ends_.id_base);
    if (ladder_.sent_at(sent_with)) ttl = sent_with;
  }
  ladder_.record_hop(ttl, from);
  return true;
}

std::optional<Timestamp> RawTcpSweep::next_timeout() const {
  switch (state_) {
    case State::syn_sent: return std::min(syn_retry_at_, connect_deadline_);
    case State::sweeping: return ladder_.wait_deadline();
    case State::collecting: return collect_deadline_;
    case State::done: return std::nullopt;
  }
  return std::nullopt;
}

void RawTcpSweep::on_timeout(Timestamp now) {
  switch (state_) {
    case State::syn_sent:
      if (now >= connect_deadline_) {
        ladder_.fail("connect timed out (no SYN-ACK)");
        finish(false);
      } else if (now >= syn_retry_at_) {
        send_syn(now);
      }
      break;
    case State::sweeping:
      if (now >= ladder_.wait_deadline()) next_ttl(now);
      break;
    case State::collecting:
      if (now >= collect_deadline_) finish(true);
      break;
    case State::done: break;
  }
}

void RawTcpSweep::finish(bool send_rst) {
  if (state_ == State::done) return;
  if (send_rst) send(tcp_flag::kRst, snd_nxt_, {}, kHandshakeTtl, ends_.id_base);
  reader_->fill(ladder_.result);
  state_ = State::done;
}

}  // namespace mitmlab
