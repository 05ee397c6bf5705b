#define BOOST_TEST_MODULE bench_forge_command
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>

// Runs the mitmlab binary; returns its exit status and standard output.
// With merge_stderr, standard error (a pipe, never a terminal here) is captured as well.
static std::pair<int, std::string> run(const std::string& args, bool merge_stderr = false) {
  std::string command = std::string(MITMLAB_BINARY) + " " + args + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* pipe = popen(command.c_str(), "r");
  BOOST_REQUIRE(pipe != nullptr);
  std::string out;
  std::array<char, 512> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe)) out += buf.data();
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
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
