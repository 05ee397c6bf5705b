// The interceptor: a sans-I/O bump in the wire (interceptor/DESIGN.md). IPv4 packets in from
// either side of the link with the time; forward or drop out; packets of its own drained
// with poll_transmit(); one timer. It decrements no TTL, owns no address and never answers
// ICMP: to traceroute it is part of the wire.
//
// A flow's life: tracking (SYN, SYN-ACK, ACK; the client is whoever sent the SYN, on either
// side) -> the ClientHello, reassembled from in-order client payload (segments of an
// incomplete hello are held and released byte-identical) -> the policy's decision ->
// passthrough with a reason, or for a target an origin check (a connection of the box's own
// from the client's address) -> untrusted: release and passthrough; trusted: hijack, the box
// speaking for both ends on the existing connection and relaying the plaintext. Every flow
// leaves the table when it ends or idles out. Everything is counted (counters()) and every
// decision logged with its reason and flow (events()).
//
// Files: engine.cc (dispatch, TCP tracking, ends, timers), engine-hello.cc (ClientHello
// hold/release, the decision), engine-origin.cc (check connections, verdict cache),
// engine-hijack.cc (the two legs, relay, close), flow-state.h, origin-check.h, hijack-state.h;
// engine-dependencies.h builds the forger and judge from an EngineConfig.
//
// Choices, documented here because a reader of a result file needs them:
// - A SYN on a port not in `ports` gets a passthrough event (reason "port") and is not
//   tracked: a carrier box would not spend table space on other ports. A retransmitted SYN
//   of such a flow is logged again.
// - Packets of a flow whose handshake the box did not see are passed through; the first one
//   on a selected port enters the table as passthrough ("handshake_not_seen"), so the flow
//   is counted once and idles out. RSTs never create an entry.
// - Absorbed client retransmissions do not count as activity, so an incomplete hello that
//   never completes idles out after handshake_idle; its held segments are then released
//   (reason "malformed_client_hello", details.incomplete_at_idle_timeout).
// - After both FINs or a RST the flow lingers kCloseLinger (stray segments still match it;
//   after a hijack they are dropped, not forwarded), then leaves the table counted as closed.
// - Without a judge (EngineDependencies::judge null) the engine runs decide-only: targets
//   are logged as intercept decisions (details.action "observe_only") and forwarded.
// - Origin check: TcpEndpoint::connect from the client's address and a port drawn from
//   [49152, 65535] by a hash of the seed and a counter (skipping ports in use); the box's
//   ClientHello (origin_client_hello_profile) with the client's SNI; stops sending once the
//   Certificate is read (the origin never sees a completed handshake), judges at
//   calendar_time(now), then RST. Its answers, and for kCloseLinger after it ends any late
//   ones, are consumed. No Certificate within timeouts.origin_check, a RST or a TLS failure:
//   unreachable, not cached (the next flow tries again). Trusted / untrusted verdicts are
//   cached per server address and port with the origin's leaf; the cache is cleared when it
//   reaches max_flows entries.
// - Hijack: the client leg continues the server's sequence space from the client's last ACK
//   (ISN+1) and TSval clock; the server leg continues the client's from the server's last ACK
//   (the server has seen no data: the hello was held) and TSval clock. The held segments are
//   fed to the client leg as if just arrived, which acknowledges them. Window scale, SACK and
//   timestamps as negotiated in the handshake. Without a forger, or if forging fails, a
//   trusted origin's flow is passed with "untrusted_origin" and details saying why.
// - Ends of a hijack: a TLS alert (or other failure) from the client, a TLS failure toward
//   the origin, a RST or a give-up on either leg: RST on both legs. FIN on one leg: relayed as
//   close_notify then FIN once everything before it is relayed; the flow is done when both
//   FINs crossed and all data was acknowledged (an ns-3 peer that closed first does not
//   always ACK the FIN that follows data, so that last ACK is not awaited). Each end writes
//   a "relay" event (request line, Host, status line, byte counts, excerpts).
// - Backpressure: a leg is not read while more than max_buffered_bytes_per_flow of
//   ciphertext waits for the other leg's send buffer, so its receive window closes.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "interceptor/bump-io.h"
#include "interceptor/engine-config.h"
#include "interceptor/engine-counters.h"
#include "interceptor/engine-event.h"
#include "interceptor/flow-state.h"
#include "interceptor/flow-table.h"
#include "interceptor/origin-check.h"
#include "interceptor/target-policy.h"
#include "interceptor/tls/origin-hello-profile.h"
#include "net/tcp-segment.h"

namespace mitmlab {

class Forger;
class OriginCertificateJudge;

// What the engine is given rather than builds: the forger (with its fake authority: costly
// keys, shared between engines of one run) and the judge of origin certificates.
struct EngineDependencies {
  std::shared_ptr<Forger> forger;
  // Null: decide-only (see above).
  std::shared_ptr<const OriginCertificateJudge> judge;
  // The UTC calendar time (Unix seconds) of time zero, for judging certificate validity at
  // "calendar_origin + now". Unset: the config's schedule.origin, else 2019-07-17T00:00:00Z
  // (the day interception was first seen, facts §1).
  std::optional<std::time_t> calendar_origin;
};

class Engine : public PacketProcessor {
 public:
  // How long a closed flow stays in the table to absorb stray segments of it.
  static constexpr Duration kCloseLinger = std::chrono::seconds(2);

  explicit Engine(EngineConfig config, EngineDependencies deps = {});
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Disposition on_packet(Timestamp now, LinkSide from, ByteView ipv4) override;
  std::optional<OutboundPacket> poll_transmit() override;
  std::optional<Timestamp> next_timeout() const override;
  void on_timeout(Timestamp now) override;

  const EngineCounters& counters() const { return counters_; }
  const EventLog& events() const { return events_; }
  const EngineConfig& config() const { return config_; }
  // Flows in the table (check connections not included).
  std::size_t flow_count() const { return table_.size(); }
  const FlowState* find_flow(const FlowKey& key) const { return table_.find(key); }
  // The calendar time (Unix seconds) the engine judges certificates at, at `now`.
  std::time_t calendar_time(Timestamp now) const;

 private:
  using Table = FlowTable<FlowState>;

  // engine.cc: dispatch, tracking, ends.
  Disposition on_tcp(Timestamp now, LinkSide from, ByteView ipv4, const TcpPacket& packet);
  Disposition on_untracked(Timestamp now, LinkSide from, const TcpPacket& packet);
  Disposition on_tracked(Timestamp now, LinkSide from, ByteView ipv4, const TcpPacket& packet,
                         Table::Match match);
  void track(EndTrack& end, Timestamp now, const TcpPacket& packet);
  void end_flow(Timestamp now, const FlowKey& key, FlowState& flow, EventKind why,
                nlohmann::json details);
  void finish_removed(Timestamp now, const FlowKey& key, FlowState& flow, EventKind why);
  void record(Timestamp now, EventKind kind, const std::optional<FlowKey>& flow,
              nlohmann::json details = nlohmann::json::object());
  void inject(LinkSide side, Bytes ipv4);

  // engine-hello.cc: client payload before the decision, the decision, release.
  Disposition on_client_data(Timestamp now, ByteView ipv4, const TcpPacket& packet,
                             const FlowKey& key, FlowState& flow);
  Disposition decide(Timestamp now, const FlowKey& key, FlowState& flow, bool current_held);
  Disposition pass(Timestamp now, const FlowKey& key, FlowState& flow, PassReason reason,
                   bool current_held, nlohmann::json details = nlohmann::json::object());
  // Forwards every held segment (byte-identical, arrival order). When the segment being
  // handled is the only one held it is simply forwarded.
  Disposition release(FlowState& flow, bool current_held);
  void count_pass(Timestamp now, const FlowKey& key, const std::optional<std::string>& sni,
                  PassReason reason, nlohmann::json details);

  Duration idle_for(const FlowState& flow) const;

  // engine-origin.cc: the verdict cache and check connections.
  Disposition begin_intercept(Timestamp now, const FlowKey& key, FlowState& flow, bool current_held);
  void start_check(Timestamp now, const FlowKey& client_flow, const FlowState& flow, const OriginKey& origin);
  // Feeds, advances and drains a check; finishes it when it has a verdict or failed.
  void service_check(Timestamp now, const FlowKey& check_key);
  void finish_check(Timestamp now, const FlowKey& check_key, OriginRecord result);
  void apply_verdict(Timestamp now, const FlowKey& key, const OriginRecord& result);
  std::uint16_t fresh_check_port(std::uint32_t client_addr, const OriginKey& origin);

  // engine-hijack.cc: both legs of a taken-over flow.
  void start_hijack(Timestamp now, const FlowKey& key, FlowState& flow, const OriginRecord& origin_record);
  Disposition on_hijacked(Timestamp now, const TcpPacket& packet, const FlowKey& key, FlowState& flow,
                          bool from_client);
  void service_hijack(Timestamp now, const FlowKey& key, FlowState& flow);
  // Ends a hijack: with RST on both legs when `reset`, records the relay, closes the flow.
  void end_hijack(Timestamp now, const FlowKey& key, FlowState& flow, std::string_view by, bool reset,
                  EventKind kind = EventKind::kFlowClosed);
  void drain_legs(Timestamp now, FlowState& flow);

  EngineConfig config_;
  EngineDependencies deps_;
  TargetPolicy policy_;
  Table table_;
  EngineCounters counters_;
  EventLog events_;
  std::deque<OutboundPacket> out_;

  OriginHelloProfile origin_profile_;
  std::unordered_map<OriginKey, OriginRecord, OriginKeyHash> verdicts_;
  std::unordered_map<OriginKey, FlowKey, OriginKeyHash> pending_checks_;  // origin -> its check
  std::unordered_map<FlowKey, std::unique_ptr<CheckConnection>, FlowKeyHash> checks_;
  std::unordered_set<FlowKey, FlowKeyHash> hijacked_;
  // Finished checks, until when their late segments (the rest of the server's flight, its
  // answer to the RST) are still absorbed rather than taken for a new flow.
  std::unordered_map<FlowKey, Timestamp, FlowKeyHash> finished_checks_;
  std::uint64_t check_serial_ = 0;
};

}  // namespace mitmlab
