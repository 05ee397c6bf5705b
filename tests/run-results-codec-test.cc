// The hand-over encoding of a shard's results (sim/run-results-codec.h): every field comes
// back, and bytes that are not such an encoding are an error, never a crash.
#define BOOST_TEST_MODULE run_results_codec
#include <boost/test/unit_test.hpp>

#include <random>

#include <nlohmann/json.hpp>

#include "sim/run-results-codec.h"
#include "tests/support/run-results-sample.h"

using namespace mitmlab;

BOOST_AUTO_TEST_CASE(every_field_comes_back) {
  const RunResults r = test::run_results_sample(0);
  const Bytes bytes = encode_run_results(r);
  auto back = decode_run_results(bytes);
  BOOST_TEST_REQUIRE(back.ok(), (back.ok() ? "" : back.message()));
  BOOST_TEST((encode_run_results(*back) == bytes));
  // Spot checks of fields of every kind, against the sample's values.
  BOOST_TEST(back->scenario == "sample");
  BOOST_TEST(back->seed == 42u);
  BOOST_REQUIRE(back->scans.size() == 1u);
  const ScanRecord& rec = back->scans[0].records.at(1);
  BOOST_TEST((rec.test_chain == r.scans[0].records[1].test_chain));
  BOOST_TEST(rec.test_chain.at(0).size() == 3u);
  BOOST_TEST((rec.verdict == Verdict::injected));
  BOOST_TEST(rec.attribution.has_value());
  BOOST_TEST(rec.attribution->label == "qaznet-2019 (real)");
  BOOST_TEST(rec.handshake_ms.value_or(0) == 12.5);
  BOOST_TEST(!rec.connect_ms.has_value());
  BOOST_TEST((back->scans[0].record_times.at(1) == std::chrono::milliseconds(1500)));
  BOOST_REQUIRE(back->traces.size() == 1u);
  const TraceResult& t = back->traces[0].results.at(0);
  BOOST_TEST((t.hop_before == Ipv4Address(92, 47, 151, 210)));
  BOOST_TEST(!t.hop_after.has_value());
  BOOST_TEST((t.test.rtt == std::chrono::milliseconds(40)));
  BOOST_TEST(back->traces[0].paths.size() == 1u);
  BOOST_TEST(back->traces[0].score.hops_before_server.at(3) == 7u);
  BOOST_TEST(back->bumps.at(0).counters.passthrough(PassReason::kNotTarget) == 9u);
  BOOST_REQUIRE(back->bumps.at(0).schedule.active.has_value());
  BOOST_TEST(back->bumps.at(0).schedule.active->size() == 2u);
  BOOST_TEST(back->fetches.at(0).chain.size() == 2u);
  BOOST_TEST(back->fingerprints.at(0).hellos.at(0).ja3 == "ja3-hash");
  BOOST_TEST(back->job_order.size() == 5u);
}

BOOST_AUTO_TEST_CASE(bad_bytes_are_an_error_never_a_crash) {
  RunResults small;
  small.scenario = "s";
  small.bumps.push_back({});
  const Bytes good = encode_run_results(small);
  BOOST_TEST(decode_run_results(good).ok());
  BOOST_TEST(!decode_run_results({}).ok());
  for (std::size_t n = 0; n < good.size(); ++n)
    BOOST_TEST(!decode_run_results(ByteView(good.data(), n)).ok(), "prefix of " << n << " bytes");
  std::mt19937 rng(11);
  for (int i = 0; i < 300; ++i) {
    Bytes noise(rng() % 96);
    for (auto& b : noise) b = static_cast<std::uint8_t>(rng());
    BOOST_TEST(!decode_run_results(noise).ok());
  }
  // Valid CBOR of another shape, and one field of the wrong type, say what they are.
  const Bytes other = nlohmann::json::to_cbor(nlohmann::json{{"scenario", "s"}});
  auto refused = decode_run_results(other);
  BOOST_TEST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.message().find("not a mitmlab-run-results/1 encoding") != std::string::npos, refused.message());
  nlohmann::json doc = nlohmann::json::from_cbor(good);
  doc[1][0] = 5;  // the scenario name
  auto wrong = decode_run_results(nlohmann::json::to_cbor(doc));
  BOOST_TEST_REQUIRE(!wrong.ok());
  BOOST_TEST(wrong.message().find("RunResults field 0: expected a string") != std::string::npos, wrong.message());
}
