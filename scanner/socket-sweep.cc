#include "scanner/socket-sweep.h"

namespace mitmlab {

SocketSweep::SocketSweep(const SweepSettings& settings, ScanHost host,
                         std::shared_ptr<ProbeContext> context, std::function<ConnId()> next_conn)
    : ladder_(settings),
      host_(std::move(host)),
      context_(std::move(context)),
      next_conn_(std::move(next_conn)) {}

void SocketSweep::start(Timestamp now) { open_next(now); }

// The TTL is entered in the hop list once the connection is up (a TTL whose connection
// never came up was not tried).
void SocketSweep::open_next(Timestamp now) {
  if (!ladder_.peek_next()) {
    ladder_.fail(fmt::format("no answer from the host up to TTL {}", ladder_.settings().max_ttl));
    finish(false);
    return;
  }
  conn_ = next_conn_();
  state_ = State::connecting;
  connect_started_ = now;
  deadline_ = now + ladder_.settings().connect_timeout;
  reader_.reset();
  outbox_.push_back(ConnectAction{*conn_, host_.address, host_.port});
}

void SocketSweep::close() {
  if (conn_) outbox_.push_back(CloseAction{*conn_});
  conn_.reset();
}

void SocketSweep::on_connected(Timestamp now) {
  if (state_ != State::connecting) return;
  // Every TTL's connection is an RTT sample; the smallest is the one least inflated by a
  // retransmitted SYN or SYN-ACK (one of those makes the first sample seconds long).
  connect_tries_ = 0;
  const Duration sample = now - connect_started_;
  if (!ladder_.result.rtt || sample < *ladder_.result.rtt) ladder_.result.rtt = sample;
  auto reader = ChainReader::create(context_, ladder_.settings().sni, now);
  if (!reader) {
    ladder_.fail(reader.message());
    finish(true);
    return;
  }
  reader_ = std::move(*reader);
  const unsigned ttl = *ladder_.begin_next(now);
  outbox_.push_back(SendAction{*conn_, reader_->hello(), static_cast<std::uint8_t>(ttl)});
  state_ = State::waiting;
  deadline_ = ladder_.wait_deadline();
}

void SocketSweep::on_connect_failed(Timestamp, std::string_view why) {
  if (state_ == State::done) return;
  conn_.reset();  // the transport has released it
  ladder_.fail(why.empty() ? std::string("connect failed") : "connect failed: " + std::string(why));
  finish(false);
}

void SocketSweep::on_bytes(Timestamp now, ByteView bytes) {
  if (state_ == State::waiting) {
    ladder_.record_answer();
    state_ = State::collecting;
    deadline_ = now + ladder_.collect_wait();
  }
  if (state_ != State::collecting) return;
  if (reader_->feed(now, bytes)) finish(true);
}

// The hop is known, but the connection stays open until the wait ends: a box that copies
// the hello (rather than holding it) races the router's ICMP with its answer, and often loses.
void SocketSweep::on_icmp(Timestamp, const IcmpReport& icmp) {
  if (state_ != State::waiting || icmp.type != 11) return;
  ladder_.record_hop(*ladder_.current(), icmp.from);
}

void SocketSweep::on_closed(Timestamp now) { on_reset(now); }

void SocketSweep::on_reset(Timestamp) {
  switch (state_) {
    case State::connecting:
      ladder_.fail("connection reset before it was established");
      finish(true);
      break;
    case State::waiting:
      ladder_.record_answer();  // the host's side ended it: an answer without a chain
      finish(true);
      break;
    case State::collecting: finish(true); break;
    case State::done: break;
  }
}

std::optional<Timestamp> SocketSweep::next_timeout() const {
  if (state_ == State::done) return std::nullopt;
  return deadline_;
}

void SocketSweep::on_timeout(Timestamp now) {
  if (state_ == State::done || now < deadline_) return;
  switch (state_) {
    case State::connecting:
      // A connection that never came up drew nothing from this TTL either: it gets the
      // same number of tries (a lost SYN, a lost SYN-ACK) before the sweep gives up.
      close();
      if (++connect_tries_ < ladder_.settings().queries) {
        open_next(now);
      } else {
        ladder_.fail(fmt::format("connect timed out ({} tries)", connect_tries_));
        finish(false);
      }
      break;
    case State::waiting:
      close();
      open_next(now);
      break;
    case State::collecting: finish(true); break;
    case State::done: break;
  }
}

void SocketSweep::finish(bool close_connection) {
  if (close_connection) close();
  conn_.reset();
  if (reader_) reader_->fill(ladder_.result);
  state_ = State::done;
}

}  // namespace mitmlab
