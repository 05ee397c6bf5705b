// A scenario with "shards": K runs as K processes, each with every K-th server (sim/sharded-
// run.h). Checked end to end through the binary: the shards' verdicts are the verdicts of
// the same world run as one process, a follow-up job selects from every shard's verdicts,
// fetch and fingerprint jobs run once (in their server's shard), two sharded runs write
// identical files, so do shards taking turns (--parallel) and shards all running at once,
// and what one process alone can write (--pcap, --keylog) is refused.
#define BOOST_TEST_MODULE sharded_run
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "support/run-mitmlab.h"

using namespace mitmlab::test;
namespace fs = std::filesystem;

namespace {

const fs::path kWork = fs::temp_directory_path() / ("mitmlab-sharded-" + std::to_string(getpid()));

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json read_scenario(const fs::path& p) {
  std::string text = read_file(p);
  if (text.rfind("//", 0) == 0) text = text.substr(text.find('\n') + 1);  // generated files' first line
  return nlohmann::json::parse(text);
}

// A copy of `scenario` with "shards": k, written next to the run's outputs.
fs::path with_shards(const fs::path& scenario, int k, const std::string& name) {
  nlohmann::json doc = read_scenario(scenario);
  doc["shards"] = k;
  fs::create_directories(kWork);
  const fs::path out = kWork / (name + ".json");
  std::ofstream(out) << doc.dump(1);
  return out;
}

fs::path run(const fs::path& scenario, const std::string& name, const std::string& options = "") {
  const fs::path out = kWork / name;
  CommandRun r = run_mitmlab("run " + scenario.string() + " --quiet --out " + out.string() + " " + options);
  BOOST_TEST_REQUIRE(r.status == 0, r.output);
  return out;
}

nlohmann::json job(const fs::path& out, const std::string& name) {
  std::ifstream in(out / "summary.json");
  const nlohmann::json summary = nlohmann::json::parse(in);
  for (const auto& j : summary.at("jobs"))
    if (j.at("name") == name) return j;
  BOOST_FAIL("no job " + name + " in " + (out / "summary.json").string());
  return {};
}

// (job, host, sni, verdict) of every line of scan.jsonl.
std::set<std::tuple<std::string, std::string, std::string, std::string>> verdicts(const fs::path& out) {
  std::set<std::tuple<std::string, std::string, std::string, std::string>> v;
  std::ifstream in(out / "scan.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    v.emplace(j.at("job"), j.at("address"), j.at("sni"), j.at("verdict"));
  }
  return v;
}

struct Cleanup {
  ~Cleanup() { fs::remove_all(kWork); }
};

const fs::path kTwoBumps = fs::path(MITMLAB_FIXTURES) / "scenarios" / "variants" / "two-bumps-in-series.json";

}  // namespace

BOOST_AUTO_TEST_SUITE(sharded, *boost::unit_test::fixture<Cleanup>())

BOOST_AUTO_TEST_CASE(shards_measure_what_one_process_measures) {
  const fs::path one = run(kTwoBumps, "one");
  const fs::path three = run(with_shards(kTwoBumps, 3, "two-bumps-3"), "three");
  const auto v1 = verdicts(one), v3 = verdicts(three);
  BOOST_TEST(v1.size() == 102u);  // 51 hosts, two test SNIs
  BOOST_TEST((v1 == v3));
  const nlohmann::json scan = job(three, "scan");
  BOOST_TEST(scan.at("hosts") == 51);
  BOOST_TEST(scan.at("intercepted") == 45);
  BOOST_TEST(scan.at("precision") == 1.0);
  BOOST_TEST(scan.at("recall") == 1.0);
  // The sweeps follow up the scan's verdicts from all three shards.
  for (const char* name : {"trace-raw", "trace-socket"}) {
    BOOST_TEST_CONTEXT(name) {
      const nlohmann::json trace = job(three, name);
      BOOST_TEST(trace.at("hosts") == 45);
      BOOST_TEST(trace.at("localized") == 45);
      BOOST_TEST(trace.at("accuracy") == 1.0);
      BOOST_TEST(trace.at("hops_before_server") == job(one, name).at("hops_before_server"));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_sharded_run_is_reproducible) {
  const fs::path scenario = with_shards(kTwoBumps, 2, "two-bumps-2");
  const fs::path a = run(scenario, "a"), b = run(scenario, "b");
  for (const char* file : {"summary.json", "scan.jsonl", "trace.jsonl", "ground_truth.jsonl", "events.jsonl",
                           "report.md", "certs/index.jsonl"}) {
    BOOST_TEST_CONTEXT(file) {
      const std::string first = read_file(a / file);
      BOOST_TEST(!first.empty());
      BOOST_TEST((first == read_file(b / file)));
    }
  }
  BOOST_TEST(!fs::exists(a / ".shard-0.cbor"));  // the shards' hand-over files are gone
}

// --parallel 1: one shard simulates at a time; one waiting for the others' scan verdicts (the
// sweeps follow the scan up) hands its turn on, and gets one back with the verdicts.
BOOST_AUTO_TEST_CASE(shards_taking_turns_write_what_shards_all_at_once_write) {
  const fs::path scenario = with_shards(kTwoBumps, 3, "two-bumps-turns");
  const fs::path turns = run(scenario, "turns", "--parallel 1"), all = run(scenario, "all", "--parallel 0");
  for (const char* file : {"summary.json", "scan.jsonl", "trace.jsonl", "ground_truth.jsonl", "events.jsonl",
                           "report.md"}) {
    BOOST_TEST_CONTEXT(file) {
      const std::string first = read_file(turns / file);
      BOOST_TEST(!first.empty());
      BOOST_TEST((first == read_file(all / file)));
    }
  }
  BOOST_TEST(job(turns, "trace-raw").at("localized") == 45);
}

BOOST_AUTO_TEST_CASE(fetch_and_fingerprint_run_once_in_their_servers_shard) {
  const fs::path teaching = fs::path(MITMLAB_SOURCE_DIR) / "scenarios" / "teaching.json";
  const fs::path out = run(with_shards(teaching, 3, "teaching-3"), "teaching");
  std::ifstream fetches(out / "fetch.jsonl");
  int lines = 0;
  for (std::string line; std::getline(fetches, line);) {
    ++lines;
    BOOST_TEST(nlohmann::json::parse(line).at("status_line") == "HTTP/1.1 200 OK");
  }
  BOOST_TEST(lines == 1);
  BOOST_TEST(job(out, "fingerprint").at("client_hellos").get<int>() > 0);
  BOOST_TEST(job(out, "trace-raw").at("accuracy") == 1.0);
  // Every server is described once in the ground truth.
  std::ifstream truth(out / "ground_truth.jsonl");
  int servers = 0;
  for (std::string line; std::getline(truth, line);)
    if (nlohmann::json::parse(line).at("type") == "server") ++servers;
  BOOST_TEST(servers == 5);
}

BOOST_AUTO_TEST_CASE(pcap_and_keylog_are_refused_with_a_reason) {
  const fs::path scenario = with_shards(kTwoBumps, 2, "two-bumps-pcap");
  for (const char* flag : {"--pcap", "--keylog"}) {
    CommandRun r =
        run_mitmlab("run " + scenario.string() + " --quiet " + flag + " --out " + (kWork / "refused").string());
    BOOST_TEST(r.status == 1);
    BOOST_TEST(r.output.find("\"shards\": 1") != std::string::npos, r.output);
  }
}

BOOST_AUTO_TEST_SUITE_END()
