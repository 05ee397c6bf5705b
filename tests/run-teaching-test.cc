#define BOOST_TEST_MODULE run_teaching
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "support/run-mitmlab.h"

using namespace mitmlab::test;
namespace fs = std::filesystem;

// The default job (scenarios/teaching.json) does what the README promises: the scanner finds
// exactly the intercepted hosts, both localizer modes put the box between 92.47.151.210 and
// 95.56.243.92, the fetch through the box works for a client trusting its root, and the
// server sees the box's 2019 ClientHello.

namespace {

struct TeachingRun {
  fs::path out;
  CommandRun run;
  nlohmann::json summary;
  TeachingRun() {
    out = fs::temp_directory_path() / ("mitmlab-teaching-" + std::to_string(getpid()));
    fs::remove_all(out);
    run = run_mitmlab("run " + std::string(MITMLAB_SOURCE_DIR) + "/scenarios/teaching.json --out " + out.string());
    std::ifstream in(out / "summary.json");
    if (in) summary = nlohmann::json::parse(in, nullptr, false);
  }
  ~TeachingRun() { fs::remove_all(out); }
  const nlohmann::json& job(const std::string& name) const {
    for (const auto& j : summary["jobs"])
      if (j["name"] == name) return j;
    throw std::runtime_error("no job " + name);
  }
};

const TeachingRun& teaching() {
  static const TeachingRun run;
  return run;
}

}  // namespace

BOOST_AUTO_TEST_CASE(runs_and_prints_a_human_summary) {
  BOOST_TEST_REQUIRE(teaching().run.status == 0, teaching().run.output);
  const std::string& text = teaching().run.output;
  BOOST_TEST(text.find("certificate injection occurred between hops 4 and 5") != std::string::npos, text);
  BOOST_TEST(text.find("Forged certificate beside the original") != std::string::npos);
  BOOST_TEST(text.find("issuer          [changed]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(scan_precision_and_recall_are_one) {
  const auto& scan = teaching().job("scan");
  BOOST_TEST(scan["hosts"] == 5);
  BOOST_TEST(scan["intercepted"] == 3);
  BOOST_TEST(scan["truth_intercepted"] == 3);
  BOOST_TEST(scan["precision"] == 1.0);
  BOOST_TEST(scan["recall"] == 1.0);
}

BOOST_AUTO_TEST_CASE(both_localizer_modes_put_the_box_between_the_published_hops) {
  for (const char* name : {"trace-raw", "trace-socket"}) {
    const auto& trace = teaching().job(name);
    BOOST_TEST(trace["hosts"] == 3, name);
    BOOST_TEST(trace["before_server"] == 3, name);
    BOOST_TEST(trace["accuracy"] == 1.0, name);
    BOOST_TEST_REQUIRE(trace["hop_pairs"].size() == 1u, name);
    BOOST_TEST(trace["hop_pairs"][0]["before"] == "92.47.151.210", name);
    BOOST_TEST(trace["hop_pairs"][0]["after"] == "95.56.243.92", name);
    BOOST_TEST(trace["hops_before_server"]["3"] == 3, name);
  }
}

BOOST_AUTO_TEST_CASE(fetch_through_the_box_and_the_box_fingerprint) {
  const auto& fetch = teaching().job("fetch");
  BOOST_TEST(fetch["status_line"] == "HTTP/1.1 200 OK");
  BOOST_TEST(fetch["verified"] == true);
  BOOST_TEST(fetch["body_intact"] == true);
  BOOST_TEST(fetch["truth_hijacked"] == true);
  BOOST_TEST(fetch["leaf_issuer"] == "C = KZ, CN = Security Certificate");
  const auto& prints = teaching().job("fingerprint");
  // facts §5: the box's own hello toward the origin (kz-2019 profile).
  BOOST_TEST(prints["ja3_counts"].contains("42e6d1dc7ab0967aea54759e6b69dcaa"), prints.dump());
}

BOOST_AUTO_TEST_CASE(writes_every_result_file) {
  for (const char* file : {"summary.json", "summary.txt", "ground_truth.jsonl", "events.jsonl", "scan.jsonl",
                           "trace.jsonl", "fetch.jsonl", "fingerprints.jsonl", "report.md", "report.html",
                           "certs/index.jsonl", "certs/ca/box-qaznet-2019.pem"})
    BOOST_TEST(fs::exists(teaching().out / file), file);
}
