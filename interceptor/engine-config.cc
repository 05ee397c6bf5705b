#include "interceptor/engine-config.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>

#include <fmt/core.h>

#include "interceptor/default-targets.h"

namespace mitmlab {

namespace {

using nlohmann::json;
using Pointer = json::json_pointer;
using UtcTime = std::chrono::sys_time<std::chrono::nanoseconds>;

// Durations and schedule times are bounded so that seconds → nanoseconds never overflows
// int64 (±292 years); a billion seconds (~31 years) is more than any scenario needs.
constexpr double kMaxSeconds = 1e9;
constexpr std::uint64_t kMaxFlows = std::uint64_t{1} << 24;
constexpr std::uint64_t kMaxBufferBytes = std::uint64_t{1} << 30;

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Levenshtein distance, only to suggest the intended key when a field is misspelt.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// A short description of a value for "expected X, got Y" messages.
std::string describe(const json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return fmt::format("{} {}", value.type_name(), text);
}

std::string seconds_text(double seconds) { return fmt::format("{}", seconds); }

Duration from_seconds(double seconds) { return std::chrono::round<Duration>(std::chrono::duration<double>(seconds)); }

// Whole seconds as an integer (so a config written back reads as it was written), else a fraction.
json seconds_json(Duration d) {
  if (d.count() % 1'000'000'000 == 0) return d.count() / 1'000'000'000;
  return static_cast<double>(d.count()) / 1e9;
}

// Reads one configuration document; the first error found ends the parse.
class ConfigReader {
 public:
  explicit ConfigReader(std::string_view source) : source_(source) {}

  Error error(const Pointer& at, std::string_view what) const {
    std::string where = at.empty() ? "/" : at.to_string();
    return make_error("engine config {}: {} at {}", source_, what, where);
  }
  Error expected(const Pointer& at, std::string_view what, const json& got) const {
    std::string where = at.empty() ? "/" : at.to_string();
    return make_error("engine config {}: expected {} at {}, got {}", source_, what, where, describe(got));
  }

  Status check_object(const json& value, const Pointer& at, std::initializer_list<std::string_view> allowed) const {
    if (!value.is_object()) return expected(at, "an object", value);
    for (const auto& item : value.items()) {
      const std::string& key = item.key();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      Error e = error(at / key, fmt::format("unknown field '{}'", key));
      for (std::string_view known : allowed) {
        if (edit_distance(key, known) <= 2) {
          e.message += fmt::format(" (did you mean '{}'?)", known);
          break;
        }
      }
      return e;
    }
    return Ok{};
  }

  Result<std::uint64_t> unsigned_in(const json& value, const Pointer& at, std::uint64_t lo, std::uint64_t hi) const {
    std::string what = fmt::format("an integer in {}..{}", lo, hi);
    if (!value.is_number_unsigned()) return expected(at, what, value);
    std::uint64_t v = value.get<std::uint64_t>();
    if (v < lo || v > hi) return expected(at, what, value);
    return v;
  }

  Result<std::string> string_at(const json& value, const Pointer& at, bool allow_empty) const {
    if (!value.is_string()) return expected(at, allow_empty ? "a string" : "a non-empty string", value);
    std::string s = value.get<std::string>();
    if (!allow_empty && s.empty()) return expected(at, "a non-empty string", value);
    return s;
  }

  Result<double> number_at(const json& value, const Pointer& at, std::string_view what) const {
    if (!value.is_number()) return expected(at, what, value);
    double v = value.get<double>();
    if (!std::isfinite(v)) return expected(at, what, value);
    return v;
  }

  Result<Duration> positive_seconds(const json& value, const Pointer& at) const {
    constexpr std::string_view what = "a number of seconds > 0";
    auto v = number_at(value, at, what);
    if (!v) return v.error();
    if (*v <= 0 || *v > kMaxSeconds) return expected(at, what, value);
    return from_seconds(*v);
  }

  // A schedule time: seconds from the scenario start, or a UTC calendar time when the
  // schedule states its calendar origin.
  Result<Duration> schedule_time(const json& value, const Pointer& at, const std::optional<UtcTime>& origin) const {
    if (value.is_string()) {
      auto t = parse_utc_time(value.get<std::string>());
      if (!t) return expected(at, "a UTC time like \"2019-07-22T03:00:00Z\"", value);
      if (!origin) return error(at, "a calendar time needs /schedule/origin");
      Duration d = *t - *origin;
      if (std::abs(static_cast<double>(d.count())) > kMaxSeconds * 1e9) {
        return error(at, "time is too far from /schedule/origin");
      }
      return d;
    }
    constexpr std::string_view what = "seconds from the scenario start or a UTC time string";
    auto v = number_at(value, at, what);
    if (!v) return v.error();
    if (std::abs(*v) > kMaxSeconds) return expected(at, what, value);
    return from_seconds(*v);
  }

  Status read_schedule(const json& value, const Pointer& at, Schedule& out) const {
    if (auto s = check_object(value, at, {"origin", "active"}); !s) return s;
    if (value.contains("origin")) {
      const json& o = value.at("origin");
      auto t = o.is_string() ? parse_utc_time(o.get<std::string>()) : std::nullopt;
      if (!t) return expected(at / "origin", "a UTC time like \"2019-07-22T03:00:00Z\"", o);
      out.calendar_origin = *t;
    }
    if (!value.contains("active") || value.at("active").is_null()) return Ok{};
    const json& list = value.at("active");
    Pointer list_at = at / "active";
    if (!list.is_array()) return expected(list_at, "an array of {\"start\", \"end\"} intervals or null", list);
    std::vector<ScheduleInterval> intervals;
    for (std::size_t i = 0; i < list.size(); ++i) {
      Pointer item_at = list_at / i;
      const json& item = list[i];
      if (auto s = check_object(item, item_at, {"start", "end"}); !s) return s;
      if (!item.contains("start")) return error(item_at, "missing field 'start'");
      if (!item.contains("end")) return error(item_at, "missing field 'end'");
      auto start = schedule_time(item.at("start"), item_at / "start", out.calendar_origin);
      if (!start) return start.error();
      auto end = schedule_time(item.at("end"), item_at / "end", out.calendar_origin);
      if (!end) return end.error();
      if (!(*start < *end)) {
        return error(item_at, fmt::format("interval start ({} s) must be before its end ({} s)",
                                          seconds_text(start->count() / 1e9), seconds_text(end->count() / 1e9)));
      }
      intervals.push_back({*start, *end});
    }
    out.active = std::move(intervals);
    return Ok{};
  }

  Status read(const json& doc, EngineConfig& c) const {
    const Pointer root;
    if (auto s = check_object(doc, root,
                              {"targets", "match", "ports", "schedule", "sample_fraction", "sample_key", "trust_store",
                               "forging_profile", "seed", "origin_client_hello_profile", "max_client_tls_version",
                               "injected_ttl", "bounds", "timeouts"});
        !s) {
      return s;
    }
    if (doc.contains("targets")) {
      const json& list = doc.at("targets");
      Pointer at = root / "targets";
      if (!list.is_array()) return expected(at, "an array of host names", list);
      c.targets.clear();
      for (std::size_t i = 0; i < list.size(); ++i) {
        auto name = string_at(list[i], at / i, false);
        if (!name) return name.error();
        // Stored the way the policy compares them, so the effective config shows what matches.
        std::string normal = lower_ascii(*name);
        if (!normal.empty() && normal.back() == '.') normal.pop_back();
        if (normal.empty()) return expected(at / i, "a host name", list[i]);
        c.targets.push_back(std::move(normal));
      }
    }
    if (doc.contains("match")) {
      const json& m = doc.at("match");
      std::string mode = m.is_string() ? lower_ascii(m.get<std::string>()) : std::string();
      if (mode == "exact") {
        c.match = MatchMode::kExact;
      } else if (mode == "suffix") {
        c.match = MatchMode::kSuffix;
      } else {
        return expected(root / "match", "\"exact\" or \"suffix\"", m);
      }
    }
    if (doc.contains("ports")) {
      const json& list = doc.at("ports");
      Pointer at = root / "ports";
      if (!list.is_array() || list.empty()) return expected(at, "a non-empty array of ports", list);
      c.ports.clear();
      for (std::size_t i = 0; i < list.size(); ++i) {
        auto port = unsigned_in(list[i], at / i, 1, 65535);
        if (!port) return port.error();
        c.ports.push_back(static_cast<std::uint16_t>(*port));
      }
    }
    if (doc.contains("schedule")) {
      if (auto s = read_schedule(doc.at("schedule"), root / "schedule", c.schedule); !s) return s;
    }
    if (doc.contains("sample_fraction")) {
      Pointer at = root / "sample_fraction";
      constexpr std::string_view what = "a number in [0, 1]";
      auto f = number_at(doc.at("sample_fraction"), at, what);
      if (!f) return f.error();
      if (*f < 0.0 || *f > 1.0) return expected(at, what, doc.at("sample_fraction"));
      c.sample_fraction = *f;
    }
    if (doc.contains("sample_key")) {
      auto key = string_at(doc.at("sample_key"), root / "sample_key", true);
      if (!key) return key.error();
      c.sample_key = std::move(*key);
    }
    if (doc.contains("trust_store")) {
      const json& list = doc.at("trust_store");
      Pointer at = root / "trust_store";
      if (!list.is_array()) return expected(at, "an array of PEM file paths or PEM texts", list);
      c.trust_store.clear();
      for (std::size_t i = 0; i < list.size(); ++i) {
        auto entry = string_at(list[i], at / i, false);
        if (!entry) return entry.error();
        c.trust_store.push_back(std::move(*entry));
      }
    }
    for (auto [key, field] : {std::pair{"forging_profile", &c.forging_profile},
                              std::pair{"origin_client_hello_profile", &c.origin_client_hello_profile}}) {
      if (!doc.contains(key)) continue;
      auto name = string_at(doc.at(key), root / key, false);
      if (!name) return name.error();
      *field = std::move(*name);
    }
    if (doc.contains("seed")) {
      auto seed = unsigned_in(doc.at("seed"), root / "seed", 0, std::numeric_limits<std::uint64_t>::max());
      if (!seed) return seed.error();
      c.seed = *seed;
    }
    if (doc.contains("max_client_tls_version")) {
      const json& v = doc.at("max_client_tls_version");
      std::string text = v.is_string() ? v.get<std::string>() : std::string();
      if (text == "1.2") {
        c.max_client_tls_version = 0x0303;
      } else if (text == "1.3") {
        c.max_client_tls_version = 0x0304;
      } else {
        return expected(root / "max_client_tls_version", "\"1.2\" or \"1.3\"", v);
      }
    }
    if (doc.contains("injected_ttl")) {
      auto ttl = unsigned_in(doc.at("injected_ttl"), root / "injected_ttl", 1, 255);
      if (!ttl) return ttl.error();
      c.injected_ttl = static_cast<std::uint8_t>(*ttl);
    }
    if (doc.contains("bounds")) {
      const json& b = doc.at("bounds");
      Pointer at = root / "bounds";
      if (auto s = check_object(b, at, {"max_flows", "max_held_bytes_per_flow", "max_buffered_bytes_per_flow"}); !s) {
        return s;
      }
      EngineBounds& bounds = c.bounds;
      constexpr std::uint64_t kMaxBytes = kMaxBufferBytes;
      for (auto [key, field, hi] : {std::tuple{"max_flows", &bounds.max_flows, kMaxFlows},
                                    std::tuple{"max_held_bytes_per_flow", &bounds.max_held_bytes_per_flow, kMaxBytes},
                                    std::tuple{"max_buffered_bytes_per_flow", &bounds.max_buffered_bytes_per_flow,
                                               kMaxBytes}}) {
        if (!b.contains(key)) continue;
        auto v = unsigned_in(b.at(key), at / key, 1, hi);
        if (!v) return v.error();
        *field = static_cast<std::size_t>(*v);
      }
    }
    if (doc.contains("timeouts")) {
      const json& t = doc.at("timeouts");
      Pointer at = root / "timeouts";
      if (auto s = check_object(t, at, {"handshake_idle", "established_idle", "origin_check"}); !s) return s;
      for (auto [key, field] : {std::pair{"handshake_idle", &c.timeouts.handshake_idle},
                                std::pair{"established_idle", &c.timeouts.established_idle},
                                std::pair{"origin_check", &c.timeouts.origin_check}}) {
        if (!t.contains(key)) continue;
        auto d = positive_seconds(t.at(key), at / key);
        if (!d) return d.error();
        *field = *d;
      }
    }
    return Ok{};
  }

 private:
  std::string_view source_;
};

// Parses exactly `n` decimal digits at `pos`.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

std::string_view match_mode_name(MatchMode mode) { return mode == MatchMode::kSuffix ? "suffix" : "exact"; }

bool Schedule::active_at(Timestamp now) const {
  if (!active) return true;
  return std::any_of(active->begin(), active->end(),
                     [now](const ScheduleInterval& i) { return i.start <= now && now < i.end; });
}

EngineConfig::EngineConfig() {
  for (std::string_view name : default_targets()) targets.emplace_back(name);
}

std::optional<UtcTime> parse_utc_time(std::string_view s) {
  // Fixed layout: YYYY-MM-DDTHH:MM:SS, then an optional fraction, then Z.
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  auto year = digits(s, 0, 4), month = digits(s, 5, 2), day = digits(s, 8, 2);
  auto hour = digits(s, 11, 2), minute = digits(s, 14, 2), second = digits(s, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                                   std::chrono::day(static_cast<unsigned>(*day))};
  // Leap seconds (":60") are rejected: the simulation clock has none.
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t fraction_ns = 0;
  if (s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    std::int64_t scale = 100'000'000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start >= 9) return std::nullopt;  // finer than a nanosecond
      fraction_ns += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos + 1 != s.size() || s[pos] != 'Z') return std::nullopt;
  return UtcTime(std::chrono::sys_days(date)) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
         std::chrono::seconds(*second) + std::chrono::nanoseconds(fraction_ns);
}

std::string format_utc_time(UtcTime time) {
  auto day = std::chrono::floor<std::chrono::days>(time);
  std::chrono::year_month_day date(day);
  std::chrono::hh_mm_ss clock(time - day);
  std::string text = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(date.year()),
                                 static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                                 clock.hours().count(), clock.minutes().count(), clock.seconds().count());
  if (auto ns = clock.subseconds().count(); ns != 0) {
    std::string fraction = fmt::format("{:09}", ns);
    while (fraction.back() == '0') fraction.pop_back();
    text += "." + fraction;
  }
  return text + "Z";
}

Result<EngineConfig> parse_engine_config(const nlohmann::json& json, std::string_view source_name) {
  EngineConfig config;
  if (auto s = ConfigReader(source_name).read(json, config); !s) return s.error();
  return config;
}

Result<EngineConfig> load_engine_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("engine config {}: cannot open the file", path);
  std::stringstream text;
  text << in.rdbuf();
  // Comments are allowed: scenario files explain their choices.
  json doc = json::parse(text.str(), nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (doc.is_discarded()) return make_error("engine config {}: not valid JSON", path);
  auto config = parse_engine_config(doc, path);
  if (!config) return config;
  // Paths in a config file are relative to the file, not to wherever the tool runs from.
  std::filesystem::path base = std::filesystem::path(path).parent_path();
  for (std::string& entry : config->trust_store) {
    if (entry.starts_with("-----BEGIN")) continue;
    std::filesystem::path p(entry);
    if (p.is_relative()) entry = (base / p).lexically_normal().string();
  }
  return config;
}

nlohmann::json to_json(const EngineConfig& c) {
  json schedule = json::object();
  if (c.schedule.calendar_origin) schedule["origin"] = format_utc_time(*c.schedule.calendar_origin);
  if (c.schedule.active) {
    json list = json::array();
    for (const ScheduleInterval& i : *c.schedule.active) {
      list.push_back({{"start", seconds_json(i.start)}, {"end", seconds_json(i.end)}});
    }
    schedule["active"] = std::move(list);
  } else {
    schedule["active"] = nullptr;
  }
  return json{
      {"targets", c.targets},
      {"match", match_mode_name(c.match)},
      {"ports", c.ports},
      {"schedule", std::move(schedule)},
      {"sample_fraction", c.sample_fraction},
      {"sample_key", c.sample_key},
      {"trust_store", c.trust_store},
      {"forging_profile", c.forging_profile},
      {"seed", c.seed},
      {"origin_client_hello_profile", c.origin_client_hello_profile},
      {"max_client_tls_version", c.max_client_tls_version == 0x0304 ? "1.3" : "1.2"},
      {"injected_ttl", c.injected_ttl},
      {"bounds",
       {{"max_flows", c.bounds.max_flows},
        {"max_held_bytes_per_flow", c.bounds.max_held_bytes_per_flow},
        {"max_buffered_bytes_per_flow", c.bounds.max_buffered_bytes_per_flow}}},
      {"timeouts",
       {{"handshake_idle", seconds_json(c.timeouts.handshake_idle)},
        {"established_idle", seconds_json(c.timeouts.established_idle)},
        {"origin_check", seconds_json(c.timeouts.origin_check)}}},
  };
}

}  // namespace mitmlab
