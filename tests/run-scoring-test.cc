#define BOOST_TEST_MODULE run_scoring
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "sim/run-scoring.h"

using namespace mitmlab;

namespace {

const Ipv4Address kVantage(10, 0, 0, 2);
const Ipv4Address kOther(10, 9, 0, 2);

Ipv4Address addr(const char* text) { return *Ipv4Address::parse(text); }

ScanRecord record(const char* host, const char* sni, Verdict v) {
  ScanRecord r;
  r.address = host;
  r.sni = sni;
  r.verdict = v;
  return r;
}

HijackedFlow hijack(const char* host, const char* sni, Ipv4Address client = kVantage,
                    const char* bump = "kz-box") {
  HijackedFlow h;
  h.bump = bump;
  h.client = client;
  h.client_port = 40000;
  h.server = addr(host);
  h.server_port = 443;
  h.sni = sni;
  return h;
}

TraceResult traced(const char* host, const char* verdict, std::optional<Ipv4Address> before,
                   std::optional<Ipv4Address> after, std::optional<unsigned> hops) {
  TraceResult r;
  r.host.address = host;
  r.verdict = verdict;
  r.hop_before = before;
  r.hop_after = after;
  r.hops_before_server = hops;
  return r;
}

PathTruth path_with_bump(std::size_t before_index) {
  PathTruth p;
  p.hops = {addr("185.120.76.1"), addr("88.204.195.89"), addr("212.154.195.97"),
            addr("92.47.151.210"), addr("95.56.243.92"), addr("178.89.110.198")};
  PathBump b;
  b.name = "kz-box";
  b.hops_before = before_index + 1;
  b.hop_before = p.hops[before_index];
  b.hop_after = p.hops[before_index + 1];
  p.bumps.push_back(b);
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(scan_counts_true_and_false_positives_per_record_and_hosts_separately) {
  std::vector<ScanRecord> records = {
      record("1.1.1.1", "facebook.com", Verdict::injected),  // true positive
      record("1.1.1.1", "google.com", Verdict::injected),    // true positive
      record("2.2.2.2", "facebook.com", Verdict::injected),  // false positive
      record("3.3.3.3", "facebook.com", Verdict::ok),        // false negative
      record("4.4.4.4", "facebook.com", Verdict::ok),        // true negative
  };
  std::vector<HijackedFlow> truth = {hijack("1.1.1.1", "facebook.com"), hijack("1.1.1.1", "google.com"),
                                     hijack("3.3.3.3", "facebook.com"),
                                     // another vantage's flow: not this job's truth
                                     hijack("4.4.4.4", "facebook.com", kOther)};
  ScanScore s = score_scan(records, kVantage, truth);
  BOOST_TEST(s.hosts == 4u);
  BOOST_TEST(s.records == 5u);
  BOOST_TEST(s.intercepted == 2u);
  BOOST_TEST(s.truth_intercepted == 2u);
  BOOST_TEST(s.true_positives == 2u);
  BOOST_TEST(s.false_positives == 1u);
  BOOST_TEST(s.false_negatives == 1u);
  BOOST_TEST(*s.precision == 2.0 / 3.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(*s.recall == 2.0 / 3.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(scan_without_positives_has_null_precision_and_recall) {
  ScanScore s = score_scan({record("1.1.1.1", "facebook.com", Verdict::ok)}, kVantage, {});
  BOOST_TEST(!s.precision.has_value());
  BOOST_TEST(!s.recall.has_value());
  nlohmann::json j = to_json(s);
  BOOST_TEST(j["precision"].is_null());
  BOOST_TEST(j["hosts"] == 1);
}

BOOST_AUTO_TEST_CASE(trace_matches_the_bump_position_and_counts_hop_pairs) {
  std::map<Ipv4Address, PathTruth> paths = {{addr("5.5.5.1"), path_with_bump(3)},
                                            {addr("5.5.5.2"), path_with_bump(3)},
                                            {addr("5.5.5.3"), path_with_bump(3)},
                                            {addr("5.5.5.4"), path_with_bump(3)}};
  std::vector<TraceResult> results = {
      // right
      traced("5.5.5.1", "injected-before-server", addr("92.47.151.210"), addr("95.56.243.92"), 3),
      traced("5.5.5.2", "injected-before-server", addr("92.47.151.210"), addr("95.56.243.92"), 3),
      // off by one hop: localized but wrong
      traced("5.5.5.3", "injected-before-server", addr("95.56.243.92"), addr("178.89.110.198"), 2),
      // missed: the box hijacked it, the tool saw nothing
      traced("5.5.5.4", "no-injection", std::nullopt, std::nullopt, std::nullopt),
  };
  std::vector<HijackedFlow> truth = {hijack("5.5.5.1", "www.facebook.com"),
                                     hijack("5.5.5.2", "www.facebook.com"),
                                     hijack("5.5.5.3", "www.facebook.com"),
                                     hijack("5.5.5.4", "www.facebook.com")};
  TraceScore s = score_trace(results, kVantage, "www.facebook.com", truth, paths);
  BOOST_TEST(s.hosts == 4u);
  BOOST_TEST(s.localized == 3u);
  BOOST_TEST(s.before_server == 3u);
  BOOST_TEST(s.hops_before_server.at(3) == 2u);
  BOOST_TEST(s.hops_before_server.at(2) == 1u);
  BOOST_TEST_REQUIRE(s.hop_pairs.size() == 2u);
  BOOST_TEST(s.hop_pairs[0].count == 2u, "most frequent pair first");
  BOOST_TEST(s.hop_pairs[0].before->to_string() == "92.47.151.210");
  BOOST_TEST(s.truth_injected == 4u);
  BOOST_TEST(s.matched == 2u);
  BOOST_TEST(*s.accuracy == 0.5, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(a_bump_that_did_not_hijack_for_this_sni_is_not_truth) {
  PathTruth p = path_with_bump(3);
  BOOST_TEST(!true_injection_point(addr("5.5.5.1"), kVantage, "www.facebook.com",
                                   {hijack("5.5.5.1", "google.com")}, p));
  BOOST_TEST(!true_injection_point(addr("5.5.5.1"), kVantage, "www.facebook.com",
                                   {hijack("5.5.5.1", "www.facebook.com", kOther)}, p));
  auto point = true_injection_point(addr("5.5.5.1"), kVantage, "www.facebook.com",
                                    {hijack("5.5.5.1", "www.facebook.com")}, p);
  BOOST_TEST_REQUIRE(point.has_value());
  BOOST_TEST(point->hop_after->to_string() == "95.56.243.92");
  // No truth and no claim: not counted in accuracy.
  TraceScore s = score_trace({traced("5.5.5.1", "no-injection", std::nullopt, std::nullopt, std::nullopt)},
                             kVantage, "www.facebook.com", {}, {{addr("5.5.5.1"), p}});
  BOOST_TEST(!s.accuracy.has_value());
}
