#include "sim/run-extras.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <string_view>
#include <tuple>

#include "sim/hand-over-encoding.h"

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

constexpr std::string_view kFormat = "mitmlab-run-extras/2";

void put_bump_lines(HandOverWriter& w, const std::vector<RunExtras::BumpLine>& lines) {
  w.list(lines.size());
  for (const auto& l : lines) {
    w.unsigned_int(l.bump);
    w.signed_int(l.time_ns);
    w.text(l.line);
  }
}

std::vector<RunExtras::BumpLine> get_bump_lines(HandOverReader& r) {
  std::vector<RunExtras::BumpLine> out(r.list());
  for (auto& l : out) {
    l.bump = static_cast<std::size_t>(r.unsigned_int());
    l.time_ns = r.signed_int();
    l.line = r.text();
  }
  return out;
}

}  // namespace

Bytes encode_run_extras(const RunExtras& e) {
  HandOverWriter w;
  w.text(kFormat);
  w.list(e.server_lines.size());
  for (const std::string& l : e.server_lines) w.text(l);
  w.list(e.path_lines.size());
  for (const auto& p : e.path_lines) {
    w.text(p.vantage);
    w.unsigned_int(p.server);
    w.text(p.line);
  }
  put_bump_lines(w, e.decision_lines);
  put_bump_lines(w, e.event_lines);
  return w.take();
}

Result<RunExtras> decode_run_extras(ByteView bytes) {
  HandOverReader r(bytes);
  try {
    if (r.text() != kFormat) return make_error("run extras: not a {} encoding", kFormat);
    RunExtras e;
    e.server_lines.resize(r.list());
    for (std::string& l : e.server_lines) l = r.text();
    e.path_lines.resize(r.list());
    for (auto& p : e.path_lines) {
      p.vantage = r.text();
      const std::uint64_t server = r.unsigned_int();
      if (server > std::numeric_limits<std::uint32_t>::max()) throw HandOverError("server index out of range");
      p.server = static_cast<std::uint32_t>(server);
      p.line = r.text();
    }
    e.decision_lines = get_bump_lines(r);
    e.event_lines = get_bump_lines(r);
    if (!r.at_end()) return make_error("run extras: bytes after the end");
    return e;
  } catch (const HandOverError& ex) {
    return make_error("run extras: not a valid encoding: {}", ex.what());
  }
}

}  // namespace mitmlab
