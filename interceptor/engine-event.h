// The engine's ground truth: one structured record per thing the testbed may later want to
// check against what the scanner measured (which flows were decided how and why, which
// origins were checked, which chains were forged, which clients refused them).
// Written as JSON Lines, one object per event, in the order recorded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "interceptor/flow-key.h"
#include "interceptor/pass-reason.h"
#include "net/clock.h"

namespace mitmlab {

enum class EventKind : std::uint8_t {
  kFlowTracked,    // the TCP handshake of a flow on a selected port was seen
  kDecision,       // intercept or passthrough, with the reason
  kOriginCheck,    // the box started its own connection to the origin
  kOriginVerdict,  // trusted / untrusted / unreachable; details carry the certificate summary
  kHijack,         // both legs taken over
  kForge,          // a forged chain was made (or taken from the cache: details say which)
  kRelay,          // relayed plaintext facts: request line, Host, byte counts, an excerpt
  kClientAlert,    // the client sent a TLS alert on the forged chain
  kFlowClosed,     // FIN or RST on a leg
  kFlowExpired,    // idle timeout
  kFlowEvicted,    // removed to make room
  kMalformed,      // a packet or ClientHello that did not parse
};

// Stable snake_case names ("flow_tracked", "decision", ...): never rename one.
std::string_view event_kind_name(EventKind kind);

enum class EventVerdict : std::uint8_t { kNone, kIntercept, kPassthrough };

struct EngineEvent {
  Timestamp time{};
  EventKind kind = EventKind::kDecision;
  std::optional<FlowKey> flow;
  std::optional<std::string> sni;
  EventVerdict verdict = EventVerdict::kNone;
  std::optional<PassReason> reason;  // with kPassthrough
  nlohmann::json details = nlohmann::json::object();
};

// {"time_ns":…, "kind":"decision", "flow":{"client":"10.0.0.2:40000","server":"1.2.3.4:443"},
//  "sni":"facebook.com", "verdict":"passthrough", "reason":"not_target", "details":{…}};
// absent parts are left out rather than written as null, so golden files stay short.
nlohmann::json to_json(const EngineEvent& event);

class EventLog {
 public:
  // No cap by default: the testbed needs every decision. With a cap, events beyond it are
  // counted in dropped_events() instead of stored, so a long run cannot exhaust memory.
  explicit EventLog(std::optional<std::size_t> max_events = std::nullopt) : max_events_(max_events) {}

  void record(EngineEvent event);

  const std::vector<EngineEvent>& events() const { return events_; }
  std::uint64_t dropped_events() const { return dropped_; }
  std::size_t size() const { return events_.size(); }

  // One JSON object per line, each line ending in '\n'.
  std::string to_jsonl() const;
  void write_jsonl(std::ostream& out) const;

 private:
  std::optional<std::size_t> max_events_;
  std::vector<EngineEvent> events_;
  std::uint64_t dropped_ = 0;
};

}  // namespace mitmlab
