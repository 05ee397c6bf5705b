// A small SVG writer for the run reports (issue 6: plots are drawn by the project, no
// external plotting service): bar charts (a histogram of hops before the server, the top hop
// pairs as horizontal bars) and time charts (intercepted hosts over calendar time, several
// series with a legend). The output is a pure function of the chart: fixed number formatting
// (fmt, no locale), inline styles only, text escaped, so it can be written as a .svg file or
// pasted into a self-contained HTML page.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace mitmlab {

// Text for XML content and attribute values: & < > " ' escaped.
std::string xml_escape(std::string_view text);

struct BarSeries {
  std::string name;            // shown in the legend when there is more than one series
  std::vector<double> values;  // one per category; missing values count as 0
  std::string color;           // "" = the palette's colour for the series' index
};

struct BarChart {
  std::string title, x_label, y_label;  // for horizontal bars x is still the value axis' label
  std::vector<std::string> categories;
  std::vector<BarSeries> series;  // grouped side by side within a category
  bool horizontal = false;        // categories down the left, bars to the right
  int width = 640;
  int height = 0;  // 0: 360 for vertical bars, fitted to the categories for horizontal ones
};

std::string render_svg(const BarChart& chart);

using CalendarTime = std::chrono::sys_time<std::chrono::nanoseconds>;

struct TimePoint {
  CalendarTime time;
  double value = 0;
};

struct TimeSeries {
  std::string name;
  std::vector<TimePoint> points;  // drawn in the order given (sort them by time)
  bool dashed = false;            // e.g. ground truth beside the measured series
  bool step = false;              // hold each value until the next point
  std::string color;              // "" = the palette's colour for the series' index
};

struct TimeChart {
  std::string title, y_label;  // the x axis is calendar time (UTC), labelled with dates
  std::vector<TimeSeries> series;
  int width = 720, height = 360;
};

std::string render_svg(const TimeChart& chart);

}  // namespace mitmlab
