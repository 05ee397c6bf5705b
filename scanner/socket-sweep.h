// One socket-mode sweep (OONI tlsmiddlebox's way, facts.md §7): a fresh transport
// connection per TTL, the ClientHello sent on it with SendAction.ttl, then listening on it
// for the whole per-TTL wait: a time-exceeded reported on that connection records the hop
// but does not end the TTL; bytes or a reset/close from the host within the wait are the
// answer at this TTL (the hop, if one came first, stays recorded); when the wait ends with
// no answer, close and next TTL. Why not move on at the ICMP: a box that copies the hello
// rather than holding it lets the router expire the original, and the router's ICMP often
// beats the injected answer (found live); raw mode listens the same way. The transport's own
// stack does the TCP; the wait counts from the hello's send and uses the RTT of the first
// connection's connect (ConnectAction -> on_connected).
//
// Choices: only ICMP type 11 (time exceeded) records a hop, other types are ignored; a
// connect failure or connect timeout at any TTL ends the sweep with an error (the path to
// the host is broken, later TTLs would say nothing); after the answer the bytes are fed to
// a TLS probe until the leaf is read, the host closes, or 2 x the wait passes.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "net/bytes.h"
#include "net/clock.h"
#include "scanner/localizer.h"
#include "scanner/ttl-sweep.h"

namespace mitmlab {

class SocketSweep {
 public:
  // `next_conn` hands out the Localizer's never-reused connection ids.
  SocketSweep(const SweepSettings& settings, ScanHost host,
              std::shared_ptr<ProbeContext> context, std::function<ConnId()> next_conn);

  void start(Timestamp now);
  // The connection this sweep has open (or is opening), if any.
  std::optional<ConnId> connection() const { return conn_; }

  // Reports about connection(); the Localizer drops the others.
  void on_connected(Timestamp now);
  void on_connect_failed(Timestamp now, std::string_view why);
  void on_bytes(Timestamp now, ByteView bytes);
  void on_icmp(Timestamp now, const IcmpReport& icmp);
  void on_closed(Timestamp now);
  void on_reset(Timestamp now);

  std::optional<Timestamp> next_timeout() const;
  void on_timeout(Timestamp now);

  std::deque<LocalizerAction>& outbox() { return outbox_; }
  bool done() const { return state_ == State::done; }
  const TraceSweep& result() const { return ladder_.result; }

 private:
  enum class State { connecting, waiting, collecting, done };
  void open_next(Timestamp now);
  void close();
  void finish(bool close_connection);

  TtlLadder ladder_;
  ScanHost host_;
  std::shared_ptr<ProbeContext> context_;
  std::function<ConnId()> next_conn_;
  State state_ = State::connecting;
  std::optional<ConnId> conn_;
  std::unique_ptr<ChainReader> reader_;
  std::deque<LocalizerAction> outbox_;
  Timestamp connect_started_{};
  unsigned connect_tries_ = 0;  // of the connection being opened
  Timestamp deadline_{};  // connect, wait or collection deadline, by state
};

}  // namespace mitmlab
