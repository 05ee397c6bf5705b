#include "sim/run-extras.h"

#include <algorithm>
#include <iterator>
#include <tuple>

#include <nlohmann/json.hpp>

namespace mitmlab {

void RunExtras::put_in_order() {
  std::stable_sort(path_lines.begin(), path_lines.end(), [](const PathLine& a, const PathLine& b) {
    return std::tie(a.vantage, a.server) < std::tie(b.vantage, b.server);
  });
  std::stable_sort(decision_lines.begin(), decision_lines.end(), [](const BumpLine& a, const BumpLine& b) {
    return std::tie(a.bump, a.time_ns) < std::tie(b.bump, b.time_ns);
  });
  std::stable_sort(event_lines.begin(), event_lines.end(), [](const BumpLine& a, const BumpLine& b) {
    return std::tie(a.time_ns, a.bump) < std::tie(b.time_ns, b.bump);
  });
}

RunExtras merge_run_extras(std::vector<RunExtras> shards) {
  RunExtras out;
  for (RunExtras& s : shards) {
    if (out.server_lines.empty()) out.server_lines = std::move(s.server_lines);
    std::move(s.path_lines.begin(), s.path_lines.end(), std::back_inserter(out.path_lines));
    std::move(s.decision_lines.begin(), s.decision_lines.end(), std::back_inserter(out.decision_lines));
    std::move(s.event_lines.begin(), s.event_lines.end(), std::back_inserter(out.event_lines));
  }
  out.put_in_order();
  return out;
}

namespace {

nlohmann::json bump_lines_json(const std::vector<RunExtras::BumpLine>& lines) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& l : lines) a.push_back({l.bump, l.time_ns, l.line});
  return a;
}

std::vector<RunExtras::BumpLine> bump_lines_from(const nlohmann::json& a) {
  std::vector<RunExtras::BumpLine> out;
  for (const auto& l : a.get_ref<const nlohmann::json::array_t&>())
    out.push_back({l.at(0).get<std::size_t>(), l.at(1).get<std::int64_t>(), l.at(2).get<std::string>()});
  return out;
}

}  // namespace

Bytes encode_run_extras(const RunExtras& e) {
  nlohmann::json paths = nlohmann::json::array();
  for (const auto& p : e.path_lines) paths.push_back({p.vantage, p.server, p.line});
  nlohmann::json doc = {{"servers", e.server_lines},
                        {"paths", paths},
                        {"decisions", bump_lines_json(e.decision_lines)},
                        {"events", bump_lines_json(e.event_lines)}};
  return nlohmann::json::to_cbor(doc);
}

Result<RunExtras> decode_run_extras(ByteView bytes) {
  try {
    const nlohmann::json doc = nlohmann::json::from_cbor(bytes.begin(), bytes.end());
    RunExtras e;
    e.server_lines = doc.at("servers").get<std::vector<std::string>>();
    for (const auto& p : doc.at("paths").get_ref<const nlohmann::json::array_t&>())
      e.path_lines.push_back({p.at(0).get<std::string>(), p.at(1).get<std::uint32_t>(), p.at(2).get<std::string>()});
    e.decision_lines = bump_lines_from(doc.at("decisions"));
    e.event_lines = bump_lines_from(doc.at("events"));
    return e;
  } catch (const nlohmann::json::exception& ex) {
    return make_error("run extras: not a valid encoding: {}", ex.what());
  }
}

}  // namespace mitmlab
