// Timing helpers shared by the `mitmlab bench ...` commands. Wall clock (steady_clock)
// lives in benchmarks only: it never reaches a result.
#pragma once

#include <chrono>
#include <string_view>
#include <vector>

namespace mitmlab::cli {

using BenchClock = std::chrono::steady_clock;

double ms_since(BenchClock::time_point start);
double median(std::vector<double> values);
double sum(const std::vector<double>& values);
// One table row: name, median ms, mean ms, max ms, operations per second.
void print_bench_row(std::string_view name, const std::vector<double>& ms, std::string_view unit = "");

}  // namespace mitmlab::cli
