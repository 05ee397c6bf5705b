#include "sim/svg-plot.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include <fmt/core.h>

namespace mitmlab {
namespace {

constexpr std::array<std::string_view, 8> kPalette = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                                      "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
constexpr std::string_view kFont = "font-family:sans-serif";

std::string colour(const std::string& chosen, std::size_t index) {
  return chosen.empty() ? std::string(kPalette[index % kPalette.size()]) : chosen;
}

// Coordinates with one decimal: enough for a screen, and the same text on every machine.
std::string px(double v) { return fmt::format("{:.1f}", v); }

// Axis and value labels: integers without a fraction, others with up to two decimals.
std::string number(double v) {
  if (std::abs(v - std::round(v)) < 1e-9) return fmt::format("{:.0f}", std::round(v));
  std::string s = fmt::format("{:.2f}", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

// 0, step, 2 step, ... covering `max`, with a 1-2-5 step giving about five intervals.
std::vector<double> value_ticks(double max, bool integral) {
  if (!(max > 0)) max = 1;
  double raw = max / 5;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double r = raw / magnitude;
  double step = (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * magnitude;
  if (integral && step < 1) step = 1;
  std::vector<double> ticks;
  for (int i = 0; ticks.empty() || ticks.back() < max - 1e-9; ++i) ticks.push_back(step * i);
  return ticks;
}

bool all_integral(const std::vector<double>& values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::abs(v - std::round(v)) < 1e-9; });
}

std::string text(double x, double y, std::string_view content, std::string_view style = "",
                 std::string_view anchor = "middle") {
  return fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" style=\"{};font-size:11px{}{}\">{}</text>\n",
                     px(x), px(y), anchor, kFont, style.empty() ? "" : ";", style, xml_escape(content));
}

std::string line(double x1, double y1, double x2, double y2, std::string_view stroke = "#000") {
  return fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" style=\"stroke:{};stroke-width:1\"/>\n",
                     px(x1), px(y1), px(x2), px(y2), stroke);
}

std::string open_svg(int width, int height, const std::string& title) {
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "role=\"img\" aria-label=\"{2}\">\n",
      width, height, xml_escape(title));
  out += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" style=\"fill:#fff\"/>\n", width, height);
  out += text(width / 2.0, 18, title, "font-size:14px;font-weight:bold");
  return out;
}

// One row of legend entries under the title; returns the height it took.
struct LegendEntry {
  std::string name, colour;
  bool dashed = false;
};
double legend(std::string& out, const std::vector<LegendEntry>& entries, double left, double top) {
  if (entries.size() < 2) return 0;
  double x = left;
  for (const LegendEntry& e : entries) {
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" style=\"stroke:{};stroke-width:3{}\"/>\n",
                       px(x), px(top + 6), px(x + 18), px(top + 6), e.colour,
                       e.dashed ? ";stroke-dasharray:5 3" : "");
    out += text(x + 22, top + 10, e.name, "", "start");
    x += 30 + 6.5 * static_cast<double>(e.name.size());
  }
  return 20;
}

std::string no_data(double x, double y) { return text(x, y, "no data", "fill:#777"); }

// --- calendar ticks ---

using Seconds = std::chrono::sys_seconds;

std::string date_text(Seconds t) {
  std::chrono::year_month_day d{std::chrono::floor<std::chrono::days>(t)};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                     static_cast<unsigned>(d.day()));
}

std::string clock_text(Seconds t) {
  auto since_midnight = t - std::chrono::floor<std::chrono::days>(t);
  std::chrono::hh_mm_ss hms{since_midnight};
  return fmt::format("{:02}:{:02}", hms.hours().count(), hms.minutes().count());
}

}  // namespace

std::string xml_escape(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_svg(const BarChart& c) {
  const std::size_t n = c.categories.size();
  const std::size_t k = std::max<std::size_t>(1, c.series.size());
  std::vector<double> all;
  for (const BarSeries& s : c.series)
    for (std::size_t i = 0; i < n; ++i) all.push_back(i < s.values.size() ? s.values[i] : 0);
  const double max = all.empty() ? 0 : *std::max_element(all.begin(), all.end());
  // Headroom above the longest bar for its value label.
  const std::vector<double> ticks = value_ticks(max * 1.1, all_integral(all));
  const double top_value = ticks.back() > 0 ? ticks.back() : 1;

  std::size_t longest = 0;
  for (const std::string& cat : c.categories) longest = std::max(longest, cat.size());
  const double left = c.horizontal ? std::clamp(12.0 + 6.5 * static_cast<double>(longest), 60.0, 280.0) : 60.0;
  const double band_h = 12.0 * static_cast<double>(k) + 10;
  const int height = c.height > 0 ? c.height
                     : c.horizontal
                         ? static_cast<int>(std::lround(100 + band_h * static_cast<double>(std::max<std::size_t>(n, 1))))
                         : 360;

  std::vector<LegendEntry> entries;
  for (std::size_t j = 0; j < c.series.size(); ++j) entries.push_back({c.series[j].name, colour(c.series[j].color, j)});
  std::string out = open_svg(c.width, height, c.title);
  const double top = 32 + legend(out, entries, left, 28);
  const double right = c.width - 20.0, bottom = height - 46.0;

  if (n == 0 || c.series.empty()) {
    out += no_data((left + right) / 2, (top + bottom) / 2);
    return out + "</svg>\n";
  }
  auto value_pos = [&](double v) {  // along the value axis
    return c.horizontal ? left + (right - left) * v / top_value : bottom - (bottom - top) * v / top_value;
  };
  // Value axis: grid lines and labels.
  for (double t : ticks) {
    double p = value_pos(t);
    if (c.horizontal) {
      out += line(p, top, p, bottom, "#ddd");
      out += text(p, bottom + 14, number(t));
    } else {
      out += line(left, p, right, p, "#ddd");
      out += text(left - 6, p + 4, number(t), "", "end");
    }
  }
  out += line(left, top, left, bottom);
  out += line(left, bottom, right, bottom);

  const double span = c.horizontal ? bottom - top : right - left;
  const double band = span / static_cast<double>(n);
  // Bars at most 60 px thick: a lone category would otherwise fill the whole plot.
  const double bar = std::min(band * 0.8 / static_cast<double>(k), 60.0);
  const double group = bar * static_cast<double>(k);
  const bool rotate = !c.horizontal && (n > 12 || static_cast<double>(longest) * 6.5 > band);
  for (std::size_t i = 0; i < n; ++i) {
    const double band_start = (c.horizontal ? top : left) + band * static_cast<double>(i);
    const double centre = band_start + band / 2;
    if (c.horizontal)
      out += text(left - 6, centre + 4, c.categories[i], "", "end");
    else if (rotate)
      out += fmt::format("<text x=\"{0}\" y=\"{1}\" transform=\"rotate(-40 {0} {1})\" text-anchor=\"end\" "
                         "style=\"{2};font-size:10px\">{3}</text>\n",
                         px(centre), px(bottom + 12), kFont, xml_escape(c.categories[i]));
    else
      out += text(centre, bottom + 14, c.categories[i]);
    for (std::size_t j = 0; j < c.series.size(); ++j) {
      const BarSeries& s = c.series[j];
      const double v = i < s.values.size() ? s.values[i] : 0;
      const double offset = band_start + (band - group) / 2 + bar * static_cast<double>(j);
      const double p = value_pos(v), zero = value_pos(0);
      const std::string label = fmt::format("{}{}: {}", s.name.empty() ? "" : s.name + ", ", c.categories[i], number(v));
      if (c.horizontal)
        out += fmt::format("<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" style=\"fill:{}\">"
                           "<title>{}</title></rect>\n",
                           px(zero), px(offset), px(p - zero), px(bar), colour(s.color, j), xml_escape(label));
      else
        out += fmt::format("<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" style=\"fill:{}\">"
                           "<title>{}</title></rect>\n",
                           px(offset), px(p), px(bar), px(zero - p), colour(s.color, j), xml_escape(label));
      if (v != 0)
        out += c.horizontal ? text(p + 4, offset + bar / 2 + 4, number(v), "font-size:10px", "start")
                            : text(offset + bar / 2, p - 3, number(v), "font-size:10px");
    }
  }
  out += text((left + right) / 2, height - 8.0, c.horizontal ? c.y_label : c.x_label);
  if (!c.horizontal) {
    out += fmt::format("<text x=\"14\" y=\"{0}\" transform=\"rotate(-90 14 {0})\" text-anchor=\"middle\" "
                       "style=\"{1};font-size:11px\">{2}</text>\n",
                       px((top + bottom) / 2), kFont, xml_escape(c.y_label));
  }
  return out + "</svg>\n";
}

std::string render_svg(const TimeChart& c) {
  std::vector<LegendEntry> entries;
  std::vector<double> values;
  std::vector<Seconds> times;
  for (std::size_t j = 0; j < c.series.size(); ++j) {
    const TimeSeries& s = c.series[j];
    entries.push_back({s.name, colour(s.color, j), s.dashed});
    for (const TimePoint& p : s.points) {
      values.push_back(p.value);
      times.push_back(std::chrono::floor<std::chrono::seconds>(p.time));
    }
  }
  std::string out = open_svg(c.width, c.height, c.title);
  const double left = 60, right = c.width - 24.0, bottom = c.height - 52.0;
  const double top = 32 + legend(out, entries, left, 28);
  if (times.empty()) {
    out += no_data((left + right) / 2, (top + bottom) / 2);
    return out + "</svg>\n";
  }

  // Time range, padded so the points do not sit on the frame; one hour either side of a
  // single instant.
  std::int64_t t0 = std::min_element(times.begin(), times.end())->time_since_epoch().count();
  std::int64_t t1 = std::max_element(times.begin(), times.end())->time_since_epoch().count();
  if (t1 - t0 < 120) {
    t0 -= 3600;
    t1 += 3600;
  }
  const std::int64_t pad = std::max<std::int64_t>(1, (t1 - t0) / 30);
  t0 -= pad;
  t1 += pad;
  auto x_of = [&](std::int64_t t) {
    return left + (right - left) * static_cast<double>(t - t0) / static_cast<double>(t1 - t0);
  };

  const std::vector<double> ticks =
      value_ticks(*std::max_element(values.begin(), values.end()) * 1.05, all_integral(values));
  const double top_value = ticks.back() > 0 ? ticks.back() : 1;
  auto y_of = [&](double v) { return bottom - (bottom - top) * v / top_value; };
  for (double t : ticks) {
    out += line(left, y_of(t), right, y_of(t), "#ddd");
    out += text(left - 6, y_of(t) + 4, number(t), "", "end");
  }

  // Calendar ticks: the smallest step giving at most eight, aligned to UTC multiples of it.
  constexpr std::array<std::int64_t, 14> kSteps = {60,        300,       900,        1800,       3600,
                                                   3 * 3600,  6 * 3600,  12 * 3600,  86400,      2 * 86400,
                                                   7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400};
  std::int64_t step = kSteps.back();
  for (std::int64_t s : kSteps)
    if ((t1 - t0) / s <= 8) {
      step = s;
      break;
    }
  std::string last_date;
  for (std::int64_t t = (t0 / step + 1) * step; t < t1; t += step) {
    const Seconds at{std::chrono::seconds(t)};
    const double x = x_of(t);
    out += line(x, top, x, bottom, "#eee");
    out += line(x, bottom, x, bottom + 4);
    const std::string date = date_text(at);
    if (step >= 86400) {
      out += text(x, bottom + 16, date);
    } else {
      out += text(x, bottom + 16, clock_text(at));
      if (date != last_date) out += text(x, bottom + 30, date, "fill:#555");
    }
    last_date = date;
  }
  out += line(left, top, left, bottom);
  out += line(left, bottom, right, bottom);

  for (std::size_t j = 0; j < c.series.size(); ++j) {
    const TimeSeries& s = c.series[j];
    if (s.points.empty()) continue;
    const std::string col = colour(s.color, j);
    std::string points;
    double prev_y = 0;
    for (std::size_t i = 0; i < s.points.size(); ++i) {
      const double x = x_of(std::chrono::floor<std::chrono::seconds>(s.points[i].time).time_since_epoch().count());
      const double y = y_of(s.points[i].value);
      if (s.step && i > 0) points += fmt::format(" {},{}", px(x), px(prev_y));
      points += fmt::format("{}{},{}", points.empty() ? "" : " ", px(x), px(y));
      prev_y = y;
    }
    out += fmt::format("<polyline points=\"{}\" style=\"fill:none;stroke:{};stroke-width:2{}\"/>\n", points, col,
                       s.dashed ? ";stroke-dasharray:5 3" : "");
    for (const TimePoint& p : s.points) {
      const Seconds at = std::chrono::floor<std::chrono::seconds>(p.time);
      // Dashed series get rings, so a point hidden under another series' dot still shows.
      out += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" style=\"{}\"><title>{}</title></circle>\n",
                         px(x_of(at.time_since_epoch().count())), px(y_of(p.value)), s.dashed ? 5 : 3,
                         s.dashed ? fmt::format("fill:none;stroke:{};stroke-width:1.5", col) : "fill:" + col,
                         xml_escape(fmt::format("{}, {} {}: {}", s.name, date_text(at), clock_text(at),
                                                number(p.value))));
    }
  }
  out += text((left + right) / 2, c.height - 6.0, "time (UTC)");
  out += fmt::format("<text x=\"14\" y=\"{0}\" transform=\"rotate(-90 14 {0})\" text-anchor=\"middle\" "
                     "style=\"{1};font-size:11px\">{2}</text>\n",
                     px((top + bottom) / 2), kFont, xml_escape(c.y_label));
  return out + "</svg>\n";
}

}  // namespace mitmlab
