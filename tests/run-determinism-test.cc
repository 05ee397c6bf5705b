#define BOOST_TEST_MODULE run_determinism
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include <unistd.h>

#include "support/directory-snapshot.h"
#include "support/run-mitmlab.h"

using namespace mitmlab::test;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("mitmlab-determinism-" + std::to_string(getpid())) / name;
  fs::remove_all(p);
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(same_scenario_and_seed_give_byte_identical_files_pcaps_included) {
  const std::string scenario = std::string(MITMLAB_FIXTURES) + "/scenarios/minimal.json";
  const fs::path a = scratch("a"), b = scratch("b"), c = scratch("c");
  // The second run derives the forged keys ahead on two threads: who derives a key, and
  // when, must not change a byte.
  for (const fs::path& out : {a, b}) {
    const std::string threads = out == a ? " --key-threads 0" : " --key-threads 2";
    CommandRun run = run_mitmlab("run " + scenario + " --pcap --keylog --quiet" + threads + " --out " + out.string());
    BOOST_TEST_REQUIRE(run.status == 0, run.output);
    if (out == b) {
      std::smatch m;
      BOOST_TEST_REQUIRE(std::regex_search(run.output, m, std::regex("forged-leaf keys: ([0-9]+) planned")), run.output);
      BOOST_TEST(std::stoi(m[1]) > 0, "the scan's forgeries were planned: " + run.output);
    }
  }
  auto first = snapshot_directory(a), second = snapshot_directory(b);
  BOOST_TEST_REQUIRE(first.size() > 5u);
  BOOST_TEST(first.contains("summary.json"));
  BOOST_TEST(first.contains("events.jsonl"));
  BOOST_TEST(first.contains("ground_truth.jsonl"));
  BOOST_TEST(first.contains("keylog.txt"));
  bool any_pcap = false;
  for (const auto& [name, bytes] : first) any_pcap |= name.rfind("pcap/", 0) == 0 && bytes.size() > 24;
  BOOST_TEST(any_pcap, "pcaps with packets were written");
  BOOST_TEST(first.size() == second.size());
  for (const auto& [name, bytes] : first) {
    auto other = second.find(name);
    BOOST_TEST_REQUIRE((other != second.end()), name + " missing from the second run");
    BOOST_TEST((other->second == bytes), name + " differs between two runs with the same seed");
  }

  // A different seed changes the bytes (keys, randoms): the comparison above can fail.
  CommandRun run = run_mitmlab("run " + scenario + " --seed 2 --keylog --quiet --out " + c.string());
  BOOST_TEST_REQUIRE(run.status == 0, run.output);
  auto third = snapshot_directory(c);
  BOOST_TEST((third["keylog.txt"] != first["keylog.txt"]));
  fs::remove_all(a.parent_path());
}
