#define BOOST_TEST_MODULE bench_sim_command
#include <boost/test/unit_test.hpp>

#include "support/run-mitmlab.h"

#include <cstdlib>
#include <regex>
#include <string>

// Runs the mitmlab binary; exit status and output (stderr merged: a pipe, never a terminal).
static std::pair<int, std::string> run(const std::string& args) {
  auto r = mitmlab::test::run_mitmlab(args);
  return {r.status, r.output};
}

// The first number after `label` in `out` (-1 when the label or the number is missing).
static double number_after(const std::string& out, const std::string& label) {
  const std::size_t at = out.find(label);
  if (at == std::string::npos) return -1;
  std::smatch m;
  const std::string rest = out.substr(at + label.size());
  if (!std::regex_search(rest, m, std::regex(R"(([0-9]+(\.[0-9]+)?))"))) return -1;
  return std::strtod(m[1].str().c_str(), nullptr);
}

BOOST_AUTO_TEST_CASE(bench_sim_prints_both_rates_the_ratio_and_the_world_figures) {
  auto [status, out] = run("bench sim --handshakes 4 --rounds 2 --servers 1200 --sample 3");
  BOOST_TEST_MESSAGE(out);
  BOOST_TEST(status == 0);
  BOOST_TEST(out.find("4 fresh handshakes") != std::string::npos);
  BOOST_TEST(out.find("median of 2 alternating rounds") != std::string::npos);
  BOOST_TEST(number_after(out, "simulated (6 routers, passthrough bump)") > 0);
  BOOST_TEST(number_after(out, "in memory (memory BIOs, no network)") > 0);
  BOOST_TEST(number_after(out, "ratio simulated / in memory:") > 0);
  // 1200 servers: two groups (at most 1000 each) at one router, so two sites.
  BOOST_TEST(out.find("generated world: 1200 servers in 2 sites") != std::string::npos);
  BOOST_TEST(number_after(out, "peak RSS (VmHWM") > 0);
  BOOST_TEST(number_after(out, "sample: 3 handshakes to distinct servers (chains minted on first use): simulated") > 0);
  // stderr is not a terminal: no progress line may appear.
  BOOST_TEST(out.find('\r') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(bench_sim_rejects_zero_handshakes) {
  auto [status, out] = run("bench sim --handshakes 0");
  BOOST_TEST(status != 0);
  BOOST_TEST(out.find("ratio") == std::string::npos);
}
