// TraceResult as JSON, and the mode names: what a localizer run writes, one object per host.
#include <nlohmann/json.hpp>

#include "scanner/localizer.h"

namespace mitmlab {
namespace {

nlohmann::json optional_json(const std::optional<unsigned>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
nlohmann::json optional_json(const std::optional<Ipv4Address>& v) {
  return v ? nlohmann::json(v->to_string()) : nlohmann::json(nullptr);
}
nlohmann::json text_or_null(const std::string& s) {
  return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

nlohmann::json hops_json(const std::vector<TraceHop>& hops) {
  nlohmann::json out = nlohmann::json::array();
  for (const TraceHop& h : hops)
    out.push_back(
        {{"ttl", h.ttl}, {"address", optional_json(h.address)}, {"answered", h.answered}});
  return out;
}

nlohmann::json sweep_json(const TraceSweep& s) {
  nlohmann::json rtt = nullptr;
  if (s.rtt) rtt = static_cast<double>(s.rtt->count()) / 1e6;
  return {{"sni", text_or_null(s.sni)},
          {"answer_ttl", optional_json(s.answer_ttl)},
          {"rtt_ms", rtt},
          {"leaf_sha256", text_or_null(s.leaf_sha256)},
          {"issuer", text_or_null(s.issuer)},
          {"error", text_or_null(s.error)},
          {"hops", hops_json(s.hops)}};
}

}  // namespace

std::string_view trace_mode_name(TraceMode mode) {
  return mode == TraceMode::raw ? "raw" : "socket";
}

std::optional<TraceMode> parse_trace_mode(std::string_view name) {
  if (name == "raw") return TraceMode::raw;
  if (name == "socket") return TraceMode::socket;
  return std::nullopt;
}

nlohmann::json to_json(const TraceResult& r) {
  nlohmann::json errors = nlohmann::json::array();
  if (!r.test.error.empty()) errors.push_back("test: " + r.test.error);
  if (!r.control.error.empty()) errors.push_back("control: " + r.control.error);
  return {{"host", r.host.address},
          {"port", r.host.port},
          {"mode", std::string(trace_mode_name(r.mode))},
          {"sni", text_or_null(r.test.sni)},
          {"control_sni", text_or_null(r.control.sni)},
          {"injection_ttl", optional_json(r.injection_ttl)},
          {"server_ttl", optional_json(r.server_ttl)},
          {"hop_before", optional_json(r.hop_before)},
          {"hop_after", optional_json(r.hop_after)},
          {"hops_before_server", optional_json(r.hops_before_server)},
          {"hops", hops_json(r.hops)},
          {"verdict", r.verdict},
          {"test_leaf_sha256", text_or_null(r.test.leaf_sha256)},
          {"test_issuer", text_or_null(r.test.issuer)},
          {"control_leaf_sha256", text_or_null(r.control.leaf_sha256)},
          {"control_issuer", text_or_null(r.control.issuer)},
          {"test", sweep_json(r.test)},
          {"control", sweep_json(r.control)},
          {"errors", errors}};
}

}  // namespace mitmlab
