// Merging the shards of a run (sim/shard-merge.h): records by completion time then shard,
// counts summed, scores computed again, one-shard jobs in job order, mismatches refused.
#define BOOST_TEST_MODULE shard_merge
#include <boost/test/unit_test.hpp>

#include "sim/run-results-codec.h"
#include "sim/shard-merge.h"
#include "tests/support/run-results-sample.h"

using namespace mitmlab;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(records_merge_by_time_then_shard) {
  auto m = merge_shard_results({test::run_results_sample(0), test::run_results_sample(1)});
  BOOST_TEST_REQUIRE(m.ok(), (m.ok() ? "" : m.message()));
  const ScanJobResult& scan = m->scans.at(0);
  std::vector<std::string> order;
  for (const ScanRecord& r : scan.records) order.push_back(r.address);
  // 1.0 s (shard 0), 1.0 s (shard 1), 1.25 s (shard 1), 1.5 s (shard 0).
  BOOST_TEST(order == (std::vector<std::string>{"10.1.0.1", "10.1.1.1", "10.1.1.2", "10.1.0.2"}));
  BOOST_TEST((scan.record_times == std::vector<Timestamp>{1000ms, 1000ms, 1250ms, 1500ms}));
  BOOST_TEST(scan.hosts == 4u);
  BOOST_TEST((scan.timing.started == Timestamp(5ms)));
  BOOST_TEST((scan.timing.finished == Timestamp(2001ms)));
  BOOST_TEST(scan.hijacks.size() == 2u);
  BOOST_TEST(m->traces.at(0).results.size() == 2u);
  BOOST_TEST(m->traces.at(0).paths.size() == 2u);
  BOOST_TEST(m->sim_seconds == 101.0);
}

BOOST_AUTO_TEST_CASE(scores_are_computed_on_the_merged_lists) {
  auto m = merge_shard_results({test::run_results_sample(0), test::run_results_sample(1)});
  BOOST_TEST_REQUIRE(m.ok());
  // Each shard's second host was injected and hijacked: two hosts, both found.
  const ScanScore& s = m->scans.at(0).score;
  BOOST_TEST(s.hosts == 4u);
  BOOST_TEST(s.intercepted == 2u);
  BOOST_TEST(s.truth_intercepted == 2u);
  BOOST_TEST(s.true_positives == 2u);
  BOOST_TEST(s.false_positives == 0u);
  BOOST_TEST(s.precision.value_or(0) == 1.0);
  BOOST_TEST(m->traces.at(0).score.hosts == 2u);
}

BOOST_AUTO_TEST_CASE(counters_are_summed_and_single_jobs_kept_in_job_order) {
  auto m = merge_shard_results({test::run_results_sample(0), test::run_results_sample(1)});
  BOOST_TEST_REQUIRE(m.ok());
  const EngineCounters& c = m->bumps.at(0).counters;
  BOOST_TEST(c.flows_seen == 21u);
  BOOST_TEST(c.passthrough(PassReason::kNotTarget) == 18u);
  BOOST_TEST(c.bytes_origin_to_client == 200u);
  BOOST_TEST(m->bumps.at(0).events == 10u);
  BOOST_REQUIRE(m->fetches.size() == 2u);
  BOOST_TEST(m->fetches[0].name == "fetch-a");  // from shard 1, but first in job order
  BOOST_TEST(m->fetches[1].name == "fetch-b");
  BOOST_TEST(m->fingerprints.size() == 1u);
}

BOOST_AUTO_TEST_CASE(one_shard_is_itself) {
  const RunResults r = test::run_results_sample(0);
  auto m = merge_shard_results({r});
  BOOST_TEST_REQUIRE(m.ok());
  BOOST_TEST((encode_run_results(*m) == encode_run_results(r)));
}

BOOST_AUTO_TEST_CASE(shards_of_different_runs_are_refused) {
  RunResults other = test::run_results_sample(1);
  other.scans.at(0).name = "another-scan";
  auto m = merge_shard_results({test::run_results_sample(0), other});
  BOOST_TEST_REQUIRE(!m.ok());
  BOOST_TEST(m.message() == "shard 1 ran other scan jobs than shard 0");
  RunResults fewer_boxes = test::run_results_sample(1);
  fewer_boxes.bumps.clear();
  BOOST_TEST(!merge_shard_results({test::run_results_sample(0), fewer_boxes}).ok());
  BOOST_TEST(!merge_shard_results({}).ok());
}
