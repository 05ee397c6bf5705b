// The TTL localizer: where on the path does a test SNI draw an answer that the control does
// not? Sans-I/O like Scan: the driver (live raw/socket transports, the ns-3 adapters, a test)
// drains poll_action(), performs each action, reports what happened with the on_*() calls
// (always passing the time), and calls on_timeout(now) at next_timeout().
//
// Per host, two sweeps on fresh connections: the test SNI, then the control (no SNI by
// default, as the 2019 authors did). Each sweep sends the same ClientHello with IP TTL
// first_ttl, first_ttl+1, ... waiting max(min_wait, rtt_multiplier x RTT) per TTL and
// recording the source of the ICMP time-exceeded it draws, until an answer comes from the
// server's address (or max_ttl, or the deadline). Both modes listen for the whole wait
// (counted from the hello's send) even after the TTL's time-exceeded has come: an answer
// within it is the answer at that TTL, the hop address staying recorded. A box that copies
// the hello instead of holding it lets the router expire the original, and the router's
// ICMP often arrives before the injected answer; moving on at the ICMP would miss it. The
// cost: every TTL without an answer takes the full wait.
// A TTL that drew nothing at all (no time-exceeded, no answer: the hello or the ICMP was
// lost) is tried again, up to `queries` times, before the sweep moves on, so one lost packet
// does not put a "*" next to the injection; in socket mode a TTL's connection that does not
// come up within connect_timeout gets as many tries before the sweep gives up. The 2019
// script sent one query per TTL (queries = 1); on a path without loss whose routers all
// answer, every TTL answers the first time and the sweep is the same whatever `queries` says.
// Two modes (facts §7; OONI tlsmiddlebox):
//  - raw: the authors' method. The core crafts whole IPv4 packets (net/): a TCP handshake
//    at TTL 64 from local_address:source_port, then the hello resent on that connection with
//    rising TTL; it reads every IPv4 packet the transport hands it (TCP from the host, ICMP
//    quoting our packets); the first TCP segment from the host's address ends the sweep; a
//    RST closes the connection. The driver must keep its own TCP stack from answering the
//    host (the live command's firewall rule; a raw endpoint in ns-3). Actions: RawPacketAction.
//  - socket: a fresh transport connection per TTL; the ClientHello is sent with SendAction.ttl;
//    ICMP errors arrive via on_icmp (IP_RECVERR live, the socket's ICMP callback in ns-3);
//    TLS bytes, a reset or a close back end the sweep; the TTL's connection is closed (and
//    the next opened) only when its wait has passed. Actions: ConnectAction, SendAction,
//    CloseAction.
//
// Verdicts (TraceResult::verdict), with n = injection_ttl (test answered), m = server_ttl
// (control answered):
//  - "injected-before-server": n < m; hops_before_server = m - n; hop_before is the test
//    sweep's ICMP source at TTL n-1 (the control's there when the test's was lost),
//    hop_after the control sweep's at TTL n.
//  - "at-server": n == m and the answers differ (the test answer's leaf is not the control's).
//  - "no-injection": n == m with the same answer, or no test answer at all, or n > m.
//  - "unreachable": the control drew no answer (nothing to compare against).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "net/bytes.h"
#include "net/clock.h"
#include "net/ipv4-address.h"
#include "net/result.h"
#include "nlohmann/json_fwd.hpp"
#include "scanner/probe-hello-profile.h"
#include "scanner/scan.h"
#include "scanner/transport-action.h"

namespace mitmlab {

enum class TraceMode { raw, socket };
std::string_view trace_mode_name(TraceMode mode);
std::optional<TraceMode> parse_trace_mode(std::string_view name);

struct LocalizerConfig {
  std::vector<ScanHost> hosts;
  std::string test_sni = "www.facebook.com";
  std::string control_sni;  // "" = no SNI
  TraceMode mode = TraceMode::raw;
  ProbeHelloProfile profile;  // zgrab2-2019 by default
  unsigned first_ttl = 1;
  unsigned max_ttl = 32;
  double rtt_multiplier = 2.5;  // facts §7
  unsigned queries = 3;         // tries of a TTL that stays silent (traceroute's -q 3)
  Duration min_wait = std::chrono::milliseconds(200);
  Duration connect_timeout = std::chrono::seconds(10);
  std::size_t concurrency = 10;  // hosts swept at once
  // raw mode: the address the transport's packets leave from, and the first source port
  // (each connection takes the next one, wrapping within [first_source_port, 65535]).
  Ipv4Address local_address;
  std::uint16_t first_source_port = 40000;
  std::uint64_t seed = 1;  // initial sequence numbers (raw mode)
};

// One TTL of one sweep.
struct TraceHop {
  unsigned ttl = 0;
  std::optional<Ipv4Address> address;  // ICMP time-exceeded source; none: no answer ("*")
  bool answered = false;               // the server's address answered at this TTL
};

struct TraceSweep {
  std::string sni;  // "" = none
  std::vector<TraceHop> hops;  // in TTL order
  std::optional<unsigned> answer_ttl;
  std::optional<Duration> rtt;  // the TCP handshake's (socket mode: the least of its connections')
  std::string leaf_sha256;      // the answer's leaf when its Certificate was read, else ""
  std::string issuer;           // its issuer DN, else ""
  std::string error;            // why it ended without an answer ("" otherwise)
};

struct TraceResult {
  ScanHost host;
  TraceMode mode = TraceMode::raw;
  TraceSweep test, control;
  std::optional<unsigned> injection_ttl;  // == test.answer_ttl
  std::optional<unsigned> server_ttl;     // == control.answer_ttl
  std::optional<Ipv4Address> hop_before, hop_after;
  std::optional<unsigned> hops_before_server;
  std::string verdict;  // see the header comment
  // Every TTL's address, merged from both sweeps (the control's where both saw one).
  std::vector<TraceHop> hops;
};

// One JSON object: job-independent fields (host, port, mode, sni, control_sni,
// injection_ttl, server_ttl, hop_before, hop_after, hops_before_server, hops, verdict, ...).
nlohmann::json to_json(const TraceResult& result);

// An ICMP error about one of a socket-mode connection's packets.
struct IcmpReport {
  Ipv4Address from;  // the router that sent it
  std::uint8_t type = 11;
  std::uint8_t code = 0;
};

using LocalizerAction = std::variant<ConnectAction, SendAction, CloseAction, RawPacketAction>;

// What the localizer ignored, for tests and the driver's log: hostile or stray input is
// counted, never asserted.
struct LocalizerCounters {
  std::uint64_t packets_ignored = 0;  // raw: unparsable, not for us, or for no live sweep
  std::uint64_t reports_ignored = 0;  // about unknown or finished connections, wrong mode
  std::size_t max_active = 0;         // hosts swept at once; never above concurrency
};

class Localizer {
 public:
  static Result<std::unique_ptr<Localizer>> create(LocalizerConfig config);
  ~Localizer();

  void start(Timestamp now);
  std::optional<LocalizerAction> poll_action();

  // raw mode: every IPv4 packet the transport received for local_address (others ignored).
  void on_packet(Timestamp now, ByteView ipv4);

  // socket mode.
  void on_connected(Timestamp now, ConnId conn);
  void on_connect_failed(Timestamp now, ConnId conn, std::string_view why = "");
  void on_bytes(Timestamp now, ConnId conn, ByteView bytes);
  void on_icmp(Timestamp now, ConnId conn, const IcmpReport& icmp);
  void on_closed(Timestamp now, ConnId conn);
  void on_reset(Timestamp now, ConnId conn);

  std::optional<Timestamp> next_timeout() const;
  void on_timeout(Timestamp now);

  // Results completed since the last call (one per host, when both its sweeps are done).
  std::vector<TraceResult> take_results();
  bool done() const;
  const LocalizerConfig& config() const;
  const LocalizerCounters& counters() const;

 private:
  struct Impl;
  explicit Localizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mitmlab
