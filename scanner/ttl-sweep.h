// What both sweep kinds (raw packets, one socket per TTL) share: the TTL ladder with its
// per-TTL wait, the hop list it fills, and the TLS probe that reads the answer's chain.
// Kept apart so the raw and socket sweeps differ only in how they move bytes.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "net/bytes.h"
#include "net/clock.h"
#include "net/ipv4-address.h"
#include "scanner/localizer.h"
#include "scanner/tls-probe.h"

namespace mitmlab {

// The settings one sweep needs from the LocalizerConfig.
struct SweepSettings {
  std::string sni;  // "" = none
  unsigned first_ttl = 1;
  unsigned max_ttl = 32;
  double rtt_multiplier = 2.5;
  unsigned queries = 1;  // tries of a silent TTL
  Duration min_wait{};
  Duration connect_timeout{};
};

SweepSettings sweep_settings(const LocalizerConfig& config, std::string sni);

// The TTL ladder and what it recorded. `result` is the sweep's TraceSweep as it grows.
class TtlLadder {
 public:
  explicit TtlLadder(const SweepSettings& settings);

  const SweepSettings& settings() const { return settings_; }
  // The TTL being tried, once begin() was called.
  std::optional<unsigned> current() const { return current_; }
  // Starts the next try and returns its TTL, or nullopt past max_ttl (the sweep then ends
  // with an error): the current TTL again while it has drawn nothing (no time-exceeded, no
  // answer) and queries remain, else the next TTL (the first one the first time).
  std::optional<unsigned> begin_next(Timestamp now);
  // The TTL begin_next() would start, without starting it.
  std::optional<unsigned> peek_next() const;
  // How long one TTL waits: max(min_wait, rtt_multiplier x RTT), min_wait without an RTT,
  // and never more than kMaxWait: a handshake whose SYN or SYN-ACK was lost measures the
  // retransmission timer (seconds), not the path, and waiting 2.5 times that per TTL would let
  // a box forget the flow (and the sweep take minutes) before the hello reaches it.
  static constexpr Duration kMaxWait = std::chrono::seconds(3);
  Duration wait() const;
  // How long the answer may take to bring the leaf certificate once it has begun: twice the
  // wait, and at least 3 s, so that one lost segment of the server's flight, resent after a
  // 1 s retransmission timeout, still arrives (an unread chain would look like no chain).
  Duration collect_wait() const;
  Timestamp wait_deadline() const { return wait_deadline_; }
  bool sent_at(unsigned ttl) const;

  // A time-exceeded from `from` about the packet sent with `ttl`; the first one per TTL wins.
  void record_hop(unsigned ttl, Ipv4Address from);
  // Something from the server's address answered at the current TTL.
  void record_answer();
  void fail(std::string why);

  TraceSweep result;

 private:
  TraceHop* hop(unsigned ttl);
  SweepSettings settings_;
  bool current_silent() const;
  std::optional<unsigned> current_;
  unsigned tries_ = 0;  // of the current TTL
  Timestamp wait_deadline_{};
};

// A TlsProbe used only to make the ClientHello and to read the Certificate out of the
// answer's bytes; its own deadline is never consulted (the sweep keeps time).
class ChainReader {
 public:
  static Result<std::unique_ptr<ChainReader>> create(std::shared_ptr<ProbeContext> context,
                                                     const std::string& sni, Timestamp now);
  // The ClientHello bytes (the same each call).
  const Bytes& hello() const { return hello_; }
  // The server's in-order bytes; true once the leaf has been read (or nothing more can be).
  bool feed(Timestamp now, ByteView bytes);
  bool finished() const;
  // Copies the leaf's SHA-256 and issuer into the sweep result, when read.
  void fill(TraceSweep& sweep) const;

 private:
  explicit ChainReader(std::unique_ptr<TlsProbe> probe, Bytes hello)
      : probe_(std::move(probe)), hello_(std::move(hello)) {}
  std::unique_ptr<TlsProbe> probe_;
  Bytes hello_;
};

}  // namespace mitmlab
