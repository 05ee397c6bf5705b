// The hand-over encoding of a shard's results (sim/run-results-codec.h): every field comes
// back, and bytes that are not such an encoding are an error, never a crash.
#define BOOST_TEST_MODULE run_results_codec
#include <boost/test/unit_test.hpp>

#include <limits>
#include <random>

#include "sim/hand-over-encoding.h"
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
  // Bytes of another shape, and one field of the wrong kind, say what they are.
  HandOverWriter other;
  other.text("scenario");
  auto refused = decode_run_results(other.take());
  BOOST_TEST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.message().find("not a mitmlab-run-results/2 encoding") != std::string::npos, refused.message());
  HandOverWriter wrong_kind;
  wrong_kind.text("mitmlab-run-results/2");
  wrong_kind.fields(11);
  wrong_kind.unsigned_int(5);  // the scenario name
  auto wrong = decode_run_results(wrong_kind.take());
  BOOST_TEST_REQUIRE(!wrong.ok());
  BOOST_TEST(wrong.message().find("RunResults field 0: expected a string, found an unsigned integer") !=
                 std::string::npos,
             wrong.message());
  HandOverWriter short_struct;
  short_struct.text("mitmlab-run-results/2");
  short_struct.fields(3);
  auto shape = decode_run_results(short_struct.take());
  BOOST_TEST_REQUIRE(!shape.ok());
  BOOST_TEST(shape.message().find("expected RunResults (11 fields), found 3 fields") != std::string::npos,
             shape.message());
  Bytes trailing = good;
  trailing.push_back(1);
  BOOST_TEST(!decode_run_results(trailing).ok());
}

BOOST_AUTO_TEST_CASE(a_repeated_certificate_is_handed_over_once) {
  RunResults r = test::run_results_sample(0);
  const Bytes one = encode_run_results(r);
  // The same chain again in another record: the encoding grows by far less than the chain.
  ScanRecord copy = r.scans[0].records.at(1);
  std::size_t chain_bytes = 0;
  for (const Bytes& der : copy.test_chain) chain_bytes += der.size();
  BOOST_TEST_REQUIRE(chain_bytes > 0u);
  copy.test_chain.push_back(Bytes(4096, 0x5a));
  r.scans[0].records.push_back(copy);
  r.scans[0].records.push_back(copy);
  r.scans[0].record_times.push_back(std::chrono::seconds(3));
  r.scans[0].record_times.push_back(std::chrono::seconds(4));
  const Bytes two = encode_run_results(r);
  BOOST_TEST(two.size() < one.size() + 4096 + 2 * 1024, "grew from " << one.size() << " to " << two.size());
  auto back = decode_run_results(two);
  BOOST_TEST_REQUIRE(back.ok(), (back.ok() ? "" : back.message()));
  BOOST_TEST((back->scans[0].records.back().test_chain == copy.test_chain));
  BOOST_TEST((back->scans[0].records.at(back->scans[0].records.size() - 2).test_chain == copy.test_chain));
}

BOOST_AUTO_TEST_CASE(the_encoding_refuses_what_it_did_not_write) {
  HandOverWriter w;
  const Bytes x{1, 2, 3};
  w.blob(x);
  w.blob(x);
  w.signed_int(std::numeric_limits<std::int64_t>::min());
  w.signed_int(-5);
  w.unsigned_int(std::numeric_limits<std::uint64_t>::max());
  w.real(-0.25);
  const Bytes b = w.take();
  HandOverReader r(b);
  BOOST_TEST((r.blob() == x));
  BOOST_TEST((r.blob() == x));
  BOOST_TEST(r.signed_int() == std::numeric_limits<std::int64_t>::min());
  BOOST_TEST(r.signed_int() == -5);
  BOOST_TEST(r.unsigned_int() == std::numeric_limits<std::uint64_t>::max());
  BOOST_TEST(r.real() == -0.25);
  BOOST_TEST(r.at_end());
  // The reference alone, without the byte string it names (kind, length, 3 bytes before it).
  HandOverReader orphan(ByteView(b).subspan(5, 2));
  BOOST_CHECK_THROW(orphan.blob(), HandOverError);
  // A list longer than the bytes left, a number of more than 64 bits, a wrong kind.
  HandOverWriter lie;
  lie.list(1000);
  const Bytes lie_bytes = lie.take();
  HandOverReader liar(lie_bytes);
  BOOST_CHECK_THROW(liar.list(), HandOverError);
  const Bytes too_long{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
  HandOverReader big(too_long);
  BOOST_CHECK_THROW(big.unsigned_int(), HandOverError);
  HandOverReader kind(too_long);
  BOOST_CHECK_THROW(kind.text(), HandOverError);
}
