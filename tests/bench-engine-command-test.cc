#define BOOST_TEST_MODULE bench_engine_command
#include <boost/test/unit_test.hpp>

#include "support/run-mitmlab.h"

#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>

// Runs the mitmlab binary; exit status and output (stderr merged: a pipe, never a terminal).
static std::pair<int, std::string> run(const std::string& args) {
  auto r = mitmlab::test::run_mitmlab(args);
  return {r.status, r.output};
}

BOOST_AUTO_TEST_CASE(bench_engine_prints_both_rows_the_ratio_and_the_validation) {
  auto [status, out] = run("bench engine --handshakes 3 --rounds 2");
  BOOST_TEST_MESSAGE(out);
  BOOST_TEST(status == 0);
  BOOST_TEST(out.find("3 handshakes each") != std::string::npos);
  BOOST_TEST(out.find("median of 2 alternating rounds") != std::string::npos);
  BOOST_TEST(out.find("intercepted (SNI facebook.com, hijacked)") != std::string::npos);
  BOOST_TEST(out.find("passthrough (SNI example.org)") != std::string::npos);
  BOOST_TEST(out.find("ratio intercepted / passthrough:") != std::string::npos);
  // Warm-up and probe flows come on top of the 3 timed ones.
  BOOST_TEST(out.find("5 of 5 flows hijacked, 5 of 5 passed as not_target") != std::string::npos);
  // stderr is not a terminal: no progress line may appear.
  BOOST_TEST(out.find('\r') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(bench_engine_rejects_zero_handshakes) {
  auto [status, out] = run("bench engine --handshakes 0");
  BOOST_TEST(status != 0);
  BOOST_TEST(out.find("ratio") == std::string::npos);
}
