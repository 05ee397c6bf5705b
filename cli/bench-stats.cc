#include "cli/bench-stats.h"

#include <algorithm>

#include <fmt/core.h>

namespace mitmlab::cli {

double ms_since(BenchClock::time_point start) {
  return std::chrono::duration<double, std::milli>(BenchClock::now() - start).count();
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double sum(const std::vector<double>& values) {
  double total = 0;
  for (double x : values) total += x;
  return total;
}

void print_bench_row(std::string_view name, const std::vector<double>& ms, std::string_view unit) {
  if (ms.empty()) return;
  const double total = sum(ms);
  fmt::print("{:<30} {:>10.2f} {:>10.2f} {:>10.2f} {:>10.1f}{}\n", name, median(ms), total / ms.size(),
             *std::max_element(ms.begin(), ms.end()), total > 0 ? ms.size() / (total / 1000.0) : 0.0, unit);
}

}  // namespace mitmlab::cli
