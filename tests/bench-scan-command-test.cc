// `mitmlab bench scan` end to end with small numbers: both clients measured against the same
// local openssl s_server, the ratio printed. No timing is asserted, only the report's shape.
#define BOOST_TEST_MODULE bench_scan_command
#include <sys/wait.h>

#include <array>
#include <boost/test/unit_test.hpp>

#include "support/run-mitmlab.h"
#include <cstdio>
#include <regex>
#include <string>

namespace {

std::pair<int, std::string> run(const std::string& args) {
  auto r = mitmlab::test::run_mitmlab(args);
  return {r.status, r.output};
}

}  // namespace

BOOST_AUTO_TEST_CASE(bench_scan_prints_both_clients_and_the_ratio) {
  auto [status, out] = run("bench scan --handshakes 40 --concurrency 4 --seconds 1");
  BOOST_TEST_REQUIRE(status == 0, out);
  BOOST_TEST(out.find("TLS 1.2") != std::string::npos, out);
  // Every host's control and test handshake succeeded: 40 handshakes counted.
  BOOST_TEST(std::regex_search(out, std::regex(R"(mitmlab scan \(zgrab2-2019, c=4\)\s+40\s)")),
             out);
  BOOST_TEST(std::regex_search(out, std::regex(R"(openssl s_time -new\s+[1-9][0-9]*\s)")), out);
  BOOST_TEST(out.find("ratio scan / s_time: ") != std::string::npos, out);
  BOOST_TEST(out.find("warning") == std::string::npos, out);
}

BOOST_AUTO_TEST_CASE(bench_scan_rejects_an_unknown_profile) {
  auto [status, out] = run("bench scan --profile chrome");
  BOOST_TEST(status == 1);
  BOOST_TEST(out.find("unknown probe hello profile 'chrome'") != std::string::npos, out);
}

BOOST_AUTO_TEST_CASE(bench_scan_rounds_alternate_and_print_each_ratio) {
  auto [status, out] = run("bench scan --handshakes 40 --concurrency 4 --seconds 1 --rounds 2");
  BOOST_TEST_REQUIRE(status == 0, out);
  // The handshakes are split over the rounds: 2 x 10 hosts, 40 handshakes in all.
  BOOST_TEST(std::regex_search(out, std::regex(R"(mitmlab scan \(zgrab2-2019, c=4\)\s+40\s)")),
             out);
  BOOST_TEST(std::regex_search(
                 out, std::regex(R"(ratio per round: [0-9.]+, [0-9.]+ \(median [0-9.]+\))")),
             out);
  BOOST_TEST(out.find("warning") == std::string::npos, out);
}
