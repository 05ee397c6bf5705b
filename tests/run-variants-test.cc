// Worlds other than the shipped ones (tests/fixtures/scenarios/variants/): the box on the
// vantage's first link and on the servers' last one, a link named the other way round, two
// boxes in series on one path, 1% loss on every link, and the traffic crossing the box in
// the other direction. Each is a full `mitmlab run` (scan, raw sweep, socket sweep), scored
// against its own ground truth: the scanner finds exactly the hosts a box hijacked and both
// sweeps put the injection between the routers around the box that did it.
#define BOOST_TEST_MODULE run_variants
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "support/run-mitmlab.h"

using namespace mitmlab::test;
namespace fs = std::filesystem;

namespace {

struct Variant {
  const char* name;
  int hijacked_hosts;     // trusted hosts whose path from the vantage crosses a box
  int hops_before_server;  // of the hosts at r8 (or r1), from the topology
};

std::ostream& operator<<(std::ostream& os, const Variant& v) { return os << v.name; }

// The scenarios' world: routers r1..r8 in a line, the vantage at r1, 25 trusted hosts at r8
// (and 3 self-signed, 3 of an unknown root), 20 trusted at r4.
const Variant kVariants[] = {
    {"bump-first-link", 45, 7},      // everything is behind r1-r2
    {"bump-last-link", 25, 1},       // r7-r8: only the hosts at r8
    {"bump-reversed", 25, 4},        // r5-r4: the hosts at r8
    // r2-r3's origin check for the hosts at r8 crosses r5-r6, which hijacks it: the first
    // box sees a forged chain and passes those hosts on, the second hijacks them. The first
    // hijacks the hosts at r4.
    {"two-bumps-in-series", 45, 3},
    {"lossy-links", 25, 4},          // r4-r5 with 1% loss on every link
    {"reversed-direction", 45, 4},   // vantage at r8: the hosts at r1 and r4 cross r5-r4
};

nlohmann::json job(const nlohmann::json& summary, const std::string& name) {
  for (const auto& j : summary.at("jobs"))
    if (j.at("name") == name) return j;
  BOOST_FAIL("no job " + name + " in summary.json");
  return {};
}

}  // namespace

BOOST_DATA_TEST_CASE(scores_are_perfect_in_other_worlds, boost::unit_test::data::make(kVariants), v) {
  const fs::path scenario =
      fs::path(MITMLAB_FIXTURES) / "scenarios" / "variants" / (std::string(v.name) + ".json");
  const fs::path out = fs::temp_directory_path() /
                       ("mitmlab-variant-" + std::to_string(getpid())) / v.name;
  fs::remove_all(out);
  CommandRun run = run_mitmlab("run " + scenario.string() + " --quiet --out " + out.string());
  BOOST_TEST_REQUIRE(run.status == 0, run.output);
  std::ifstream in(out / "summary.json");
  nlohmann::json summary = nlohmann::json::parse(in);

  const nlohmann::json scan = job(summary, "scan");
  BOOST_TEST(scan.at("truth_intercepted") == v.hijacked_hosts);
  BOOST_TEST(scan.at("intercepted") == v.hijacked_hosts);
  BOOST_TEST(scan.at("precision") == 1.0);
  BOOST_TEST(scan.at("recall") == 1.0);

  for (const char* name : {"trace-raw", "trace-socket"}) {
    BOOST_TEST_CONTEXT(name) {
      const nlohmann::json trace = job(summary, name);
      BOOST_TEST(trace.at("hosts") == v.hijacked_hosts);
      BOOST_TEST(trace.at("truth_injected") == v.hijacked_hosts);
      BOOST_TEST(trace.at("localized") == v.hijacked_hosts);
      BOOST_TEST(trace.at("accuracy") == 1.0);
      const auto& hops = trace.at("hops_before_server");
      const std::string far = std::to_string(v.hops_before_server);
      BOOST_TEST((hops.contains(far) && hops.at(far).get<int>() >= 25), hops.dump());
    }
  }
  fs::remove_all(out.parent_path());
}
