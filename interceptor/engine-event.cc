#include "interceptor/engine-event.h"

#include <array>
#include <sstream>

#include <fmt/core.h>

namespace mitmlab {

std::string_view event_kind_name(EventKind kind) {
  constexpr std::array<std::string_view, 12> names = {
      "flow_tracked", "decision",     "origin_check", "origin_verdict", "hijack",       "forge",
      "relay",        "client_alert", "flow_closed",  "flow_expired",   "flow_evicted", "malformed",
  };
  auto index = static_cast<std::size_t>(kind);
  return index < names.size() ? names[index] : std::string_view("unknown");
}

nlohmann::json to_json(const EngineEvent& e) {
  nlohmann::json out = {{"time_ns", e.time.count()}, {"kind", event_kind_name(e.kind)}};
  if (e.flow) {
    out["flow"] = {{"client", fmt::format("{}:{}", format_ipv4(e.flow->client_addr), e.flow->client_port)},
                   {"server", fmt::format("{}:{}", format_ipv4(e.flow->server_addr), e.flow->server_port)}};
  }
  if (e.sni) out["sni"] = *e.sni;
  if (e.verdict != EventVerdict::kNone) {
    out["verdict"] = e.verdict == EventVerdict::kIntercept ? "intercept" : "passthrough";
  }
  if (e.reason) out["reason"] = reason_name(*e.reason);
  if (!e.details.is_null() && !e.details.empty()) out["details"] = e.details;
  return out;
}

void EventLog::record(EngineEvent event) {
  if (max_events_ && events_.size() >= *max_events_) {
    ++dropped_;
    return;
  }
  events_.push_back(std::move(event));
}

void EventLog::write_jsonl(std::ostream& out) const {
  for (const EngineEvent& e : events_) out << to_json(e).dump() << '\n';
}

std::string EventLog::to_jsonl() const {
  std::ostringstream out;
  write_jsonl(out);
  return out.str();
}

}  // namespace mitmlab
