#define BOOST_TEST_MODULE golden_results
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <unistd.h>

#include "support/directory-snapshot.h"
#include "support/run-mitmlab.h"

using namespace mitmlab::test;
namespace fs = std::filesystem;

// The committed results of the scenarios CI replays (results/<name>/, written by
// scripts/update-golden) must be what the current code produces, byte for byte. A change
// meant to change results updates them in the same commit.

namespace {

void check_golden(const std::string& name) {
  const fs::path golden = fs::path(MITMLAB_SOURCE_DIR) / "results" / name;
  const fs::path fresh = fs::temp_directory_path() / ("mitmlab-golden-" + std::to_string(getpid())) / name;
  fs::remove_all(fresh);
  CommandRun run = run_mitmlab("run " + std::string(MITMLAB_SOURCE_DIR) + "/scenarios/" + name +
                               ".json --quiet --out " + fresh.string());
  BOOST_TEST_REQUIRE(run.status == 0, run.output);
  auto expected = snapshot_directory(golden);
  auto actual = snapshot_directory(fresh);
  BOOST_TEST_REQUIRE(expected.contains("summary.json"), "no golden results in " + golden.string());
  for (const auto& [file, bytes] : actual) {
    auto e = expected.find(file);
    BOOST_TEST((e != expected.end()), file + ": produced but not in the golden results (scripts/update-golden)");
    if (e != expected.end())
      BOOST_TEST((e->second == bytes), file + " differs from results/" + name + "/" + file +
                                           " (intended? run scripts/update-golden and commit)");
  }
  for (const auto& [file, bytes] : expected)
    if (file.rfind("pcap/", 0) != 0 && file != "keylog.txt")
      BOOST_TEST(actual.contains(file), file + ": in the golden results but no longer produced");
  fs::remove_all(fresh.parent_path());
}

}  // namespace

BOOST_AUTO_TEST_CASE(teaching) { check_golden("teaching"); }

// The Kazakhstan world at a tenth of its hosts (scenarios/kz-2019-07-21-reduced.json): every
// job kind, five boxes with schedules, 52 probes; its figures are the full run's in small.
BOOST_AUTO_TEST_CASE(kz_2019_07_21_reduced) { check_golden("kz-2019-07-21-reduced"); }
