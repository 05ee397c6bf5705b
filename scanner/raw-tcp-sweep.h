// One raw-mode sweep (the 2019 authors' method, facts.md §7): a tiny TCP client that
// speaks whole IPv4 packets. It opens a connection at TTL 64, resends the same ClientHello
// on it with TTL first_ttl, first_ttl+1, ..., and listens for what comes back: ICMP
// time-exceeded quoting the hello (a hop) or a TCP segment from the host (the answer).
// The Localizer demultiplexes packets by (host address, host port, our port) and hands
// each sweep only its own.
//
// Choices, documented because the authors' script did not publish them:
//  - The SYN is minimal: window 65535, one option (MSS 1448), no window scale, SACK or
//    timestamps, so the server never sends more than 64 KiB unacknowledged and our ACKs
//    need no option bookkeeping. It is retransmitted after 1 s, 2 s, 4 s... until
//    connect_timeout.
//  - Every packet carries DF and IP identification id_base + TTL (hellos) or id_base
//    (TTL-64 packets), so a late time-exceeded is credited to the TTL it was sent with.
//  - The answer is the first segment from the host after the hello that is not a
//    retransmitted SYN-ACK or a bare duplicate ACK: it carries data, FIN or RST, or
//    acknowledges hello bytes. A RST answers with no chain and ends the sweep at once.
//  - After the answer, in-order data is acknowledged (TTL 64) and fed to a TLS probe until
//    the leaf certificate is read, the host closes, or 2 x the per-TTL wait passes; then
//    one RST ends the connection. Out-of-order data is not buffered (a duplicate ACK asks
//    for it again).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

#include "net/bytes.h"
#include "net/clock.h"
#include "net/icmp-message.h"
#include "net/ipv4-address.h"
#include "net/tcp-segment.h"
#include "scanner/ttl-sweep.h"

namespace mitmlab {

struct RawEndpoints {
  Ipv4Address local;
  std::uint16_t local_port = 0;
  Ipv4Address host;
  std::uint16_t host_port = 0;
  std::uint32_t isn = 0;          // our initial sequence number
  std::uint16_t id_base = 0;      // IP identification of our TTL-64 packets
};

class RawTcpSweep {
 public:
  RawTcpSweep(const SweepSettings& settings, const RawEndpoints& endpoints,
              std::unique_ptr<ChainReader> reader);

  void start(Timestamp now);  // sends the SYN
  // A segment from the host's address and port to our port.
  void on_tcp(Timestamp now, const TcpSegment& segment);
  // A time-exceeded from `from` quoting a packet from our port to the host's port; false
  // when it is not about one of our hellos (ignored).
  bool on_time_exceeded(Timestamp now, Ipv4Address from, const QuotedDatagram& quoted);

  std::optional<Timestamp> next_timeout() const;
  void on_timeout(Timestamp now);

  // Packets to send, in order.
  std::deque<Bytes>& outbox() { return outbox_; }
  bool done() const { return state_ == State::done; }
  const TraceSweep& result() const { return ladder_.result; }

 private:
  enum class State { syn_sent, sweeping, collecting, done };

  void send(std::uint8_t flags, std::uint32_t seq, ByteView payload, std::uint8_t ttl,
            std::uint16_t identification, bool with_mss = false);
  void send_syn(Timestamp now);
  void send_ack();
  void send_hello();
  void next_ttl(Timestamp now);
  void on_handshake(Timestamp now, const TcpSegment& segment);
  void on_answer(Timestamp now, const TcpSegment& segment);
  void collect(Timestamp now, const TcpSegment& segment);
  void finish(bool send_rst);

  TtlLadder ladder_;
  RawEndpoints ends_;
  std::unique_ptr<ChainReader> reader_;
  State state_ = State::syn_sent;
  std::deque<Bytes> outbox_;

  Timestamp syn_sent_at_{};
  Timestamp connect_deadline_{};
  Timestamp syn_retry_at_{};
  Duration syn_backoff_ = std::chrono::seconds(1);
  Timestamp collect_deadline_{};

  std::uint32_t snd_nxt_ = 0;  // after the hello once sent
  std::uint32_t rcv_nxt_ = 0;
  std::uint16_t segment_size_ = 536;  // min(1448, the host's MSS); RFC 9293's default
};

}  // namespace mitmlab
