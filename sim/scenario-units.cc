#include "sim/scenario-units.h"

#include <charconv>
#include <cmath>
#include <initializer_list>
#include <utility>

namespace mitmlab {

namespace {

// Splits "1.5ms" into 1.5 and "ms"; the number is plain decimal digits with at most one point.
std::optional<std::pair<double, std::string_view>> number_and_unit(std::string_view text) {
  std::size_t end = 0;
  bool point = false;
  while (end < text.size() &&
         ((text[end] >= '0' && text[end] <= '9') || (text[end] == '.' && !point))) {
    point = point || text[end] == '.';
    ++end;
  }
  if (end == 0 || text[0] == '.' || text[end - 1] == '.') return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + end, value, std::chars_format::fixed);
  if (ec != std::errc() || ptr != text.data() + end || !std::isfinite(value)) return std::nullopt;
  return std::pair{value, text.substr(end)};
}

// The factor that turns a number in `unit` into the base unit, if `unit` is in the table.
std::optional<double> scale(std::string_view unit,
                            std::initializer_list<std::pair<std::string_view, double>> table) {
  for (auto [name, factor] : table) {
    if (name == unit) return factor;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  auto parts = number_and_unit(text);
  if (!parts) return std::nullopt;
  auto factor = scale(
      parts->second,
      {{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"min", 60}, {"h", 3600}, {"d", 86400}});
  if (!factor) return std::nullopt;
  double seconds = parts->first * *factor;
  if (seconds > kMaxScenarioSeconds) return std::nullopt;
  return std::chrono::round<Duration>(std::chrono::duration<double>(seconds));
}

std::optional<std::uint64_t> parse_rate(std::string_view text) {
  auto parts = number_and_unit(text);
  if (!parts) return std::nullopt;
  auto factor = scale(parts->second, {{"bps", 1}, {"kbps", 1e3}, {"Mbps", 1e6}, {"Gbps", 1e9}});
  if (!factor) return std::nullopt;
  double bps = std::round(parts->first * *factor);
  // 1 Tbit/s is beyond any link a scenario models, and far inside uint64.
  if (bps < 1 || bps > 1e12) return std::nullopt;
  return static_cast<std::uint64_t>(bps);
}

}  // namespace mitmlab
