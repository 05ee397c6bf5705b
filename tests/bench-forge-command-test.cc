#define BOOST_TEST_MODULE bench_forge_command
#include <boost/test/unit_test.hpp>

#include "support/run-mitmlab.h"

#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>

// Runs the mitmlab binary; exit status and standard output, with standard error too when
// merge_stderr (a pipe, never a terminal here).
static std::pair<int, std::string> run(const std::string& args, bool merge_stderr = false) {
  using mitmlab::test::Stderr;
  auto r = mitmlab::test::run_mitmlab(args, merge_stderr ? Stderr::kMerge : Stderr::kDiscard);
  return {r.status, r.output};
}

BOOST_AUTO_TEST_CASE(bench_forge_prints_both_sides_and_the_ratio) {
  auto [status, out] = run("bench forge --keys 2 --bits 1024", true);
  BOOST_TEST(status == 0);
  BOOST_TEST(out.find("derive_rsa_key (seeded)") != std::string::npos);
  BOOST_TEST(out.find("OpenSSL EVP_PKEY_keygen") != std::string::npos);
  BOOST_TEST(out.find("speed-up") != std::string::npos);
  BOOST_TEST(out.find("RSA-1024 e=3, 2 keys each") != std::string::npos);
  BOOST_TEST(out.find("forge cold (key derived)") != std::string::npos);
  BOOST_TEST(out.find("forge warm (key cache on disk)") != std::string::npos);
  BOOST_TEST(out.find("forge hit (in-memory LRU)") != std::string::npos);
  // stderr is not a terminal: no progress line ("\rkey i/N") may appear.
  BOOST_TEST(out.find('\r') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(bench_forge_rejects_an_unsupported_spec) {
  auto [status, out] = run("bench forge --keys 1 --exponent 5");
  BOOST_TEST(status == 2);
  BOOST_TEST(out.find("speed-up") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(bench_without_a_benchmark_is_a_usage_error) {
  auto [status, out] = run("bench");
  BOOST_TEST(status != 0);
}
