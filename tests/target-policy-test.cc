#define BOOST_TEST_MODULE target_policy
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

#include "interceptor/siphash.h"
#include "interceptor/target-policy.h"

using namespace mitmlab;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t kClient = 0x0a000002;  // 10.0.0.2
constexpr std::uint32_t kServer = 0x5db8d822;  // 93.184.216.34

FlowKey flow(std::uint16_t client_port, std::uint16_t server_port = 443) {
  return {kClient, client_port, kServer, server_port};
}

EngineConfig with_targets(std::vector<std::string> targets, MatchMode mode) {
  EngineConfig c;
  c.targets = std::move(targets);
  c.match = mode;
  return c;
}

// 10,000 distinct 4-tuples: 100 clients × 100 source ports.
std::vector<FlowKey> many_flows() {
  std::vector<FlowKey> flows;
  for (std::uint32_t host = 0; host < 100; ++host) {
    for (std::uint16_t port = 0; port < 100; ++port) {
      flows.push_back({0x0a000100 + host, static_cast<std::uint16_t>(40000 + port), kServer, 443});
    }
  }
  return flows;
}

std::vector<bool> sampled_flags(const EngineConfig& c, const std::vector<FlowKey>& flows) {
  TargetPolicy policy(c);
  std::vector<bool> flags;
  for (const FlowKey& f : flows) flags.push_back(policy.decide(f, "facebook.com", 0ns).intercept);
  return flags;
}

}  // namespace

BOOST_AUTO_TEST_CASE(siphash_matches_the_reference_vectors) {
  SipHashKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  std::vector<std::uint8_t> message;
  for (std::uint8_t i = 0; i < 15; ++i) message.push_back(i);
  // Aumasson and Bernstein, "SipHash: a fast short-input PRF", appendix A.
  BOOST_TEST(siphash24(key, message) == 0xa129ca6149be45e5ULL);
  // The reference implementation's vectors.h: messages 00, 00 01 .. of length 0, 1 and 8.
  BOOST_TEST(siphash24(key, ByteView(message.data(), 0)) == 0x726fdb47dd0e0e31ULL);
  BOOST_TEST(siphash24(key, ByteView(message.data(), 1)) == 0x74f839c593dc67fdULL);
  BOOST_TEST(siphash24(key, ByteView(message.data(), 8)) == 0x93f5f5799a932462ULL);
}

BOOST_AUTO_TEST_CASE(sample_points_are_pinned) {
  // Computed independently (Python: hashlib.sha256 + a from-the-paper SipHash-2-4) from the
  // recipe in target-policy.h; a change here changes every scenario's ground truth.
  const FlowKey k = flow(40000);
  BOOST_TEST(TargetPolicy(EngineConfig{}).sample_point(k) == 0.1501043181721302);
  EngineConfig c;
  c.sample_key = "run-1";
  BOOST_TEST(TargetPolicy(c).sample_point(k) == 0.9431221470784489);
}

BOOST_AUTO_TEST_CASE(reason_names_are_stable) {
  std::vector<std::string_view> names;
  for (PassReason r : all_pass_reasons()) names.push_back(reason_name(r));
  std::vector<std::string_view> expected = {"port",       "schedule_off",       "no_sni",     "not_target",
                                            "not_sampled", "untrusted_origin",  "origin_unreachable",
                                            "table_full", "handshake_not_seen", "not_tls",    "malformed_client_hello"};
  BOOST_TEST(names == expected, boost::test_tools::per_element());
  BOOST_TEST(decision_name(PolicyDecision::intercept_flow()) == "intercept");
  BOOST_TEST(decision_name(PolicyDecision::pass(PassReason::kNoSni)) == "no_sni");
}

BOOST_AUTO_TEST_CASE(exact_mode_matches_only_listed_names) {
  TargetPolicy policy(EngineConfig{});
  BOOST_TEST(policy.is_target("www.google.com"));
  BOOST_TEST(policy.is_target("google.com"));
  BOOST_TEST(policy.is_target("mail.google.com"));
  BOOST_TEST(!policy.is_target("maps.google.com"));
  BOOST_TEST(!policy.is_target("www.www.google.com"));
  BOOST_TEST(!policy.is_target("oogle.com"));
  BOOST_TEST(!policy.is_target("example.com"));
  BOOST_TEST(!policy.is_target(""));
}

BOOST_AUTO_TEST_CASE(case_and_one_trailing_dot_are_normalised) {
  TargetPolicy policy(EngineConfig{});
  BOOST_TEST(policy.is_target("WWW.Google.COM"));
  BOOST_TEST(policy.is_target("www.google.com."));
  BOOST_TEST(policy.is_target("FaceBook.Com."));
  BOOST_TEST(!policy.is_target("www.google.com.."));
  BOOST_TEST(!policy.is_target(" www.google.com"));
  BOOST_TEST(!policy.is_target("."));
  // Targets configured in code in upper case with a dot match too.
  TargetPolicy shouting(with_targets({"EXAMPLE.ORG."}, MatchMode::kExact));
  BOOST_TEST(shouting.is_target("example.org"));
  BOOST_TEST(normalize_sni("A.B.") == "a.b");
}

BOOST_AUTO_TEST_CASE(suffix_mode_matches_subdomains_on_label_boundaries) {
  TargetPolicy policy(with_targets({"google.com"}, MatchMode::kSuffix));
  BOOST_TEST(policy.is_target("google.com"));
  BOOST_TEST(policy.is_target("maps.google.com"));
  BOOST_TEST(policy.is_target("A.B.MAPS.google.com."));
  BOOST_TEST(!policy.is_target("notgoogle.com"));
  BOOST_TEST(!policy.is_target("google.com.evil.net"));
  BOOST_TEST(!policy.is_target("com"));
  TargetPolicy exact(with_targets({"google.com"}, MatchMode::kExact));
  BOOST_TEST(!exact.is_target("maps.google.com"));
  BOOST_TEST(exact.is_target("google.com"));
}

BOOST_AUTO_TEST_CASE(decide_names_the_first_failed_check) {
  EngineConfig c;
  c.schedule.active = std::vector<ScheduleInterval>{{100s, 200s}};
  TargetPolicy policy(c);
  // Port first: even a target SNI inside the schedule.
  BOOST_TEST((policy.decide(flow(40000, 80), "facebook.com", 150s) == PolicyDecision::pass(PassReason::kPort)));
  // Then the schedule, before looking at the SNI at all.
  BOOST_TEST((policy.decide(flow(40000), std::nullopt, 50s) == PolicyDecision::pass(PassReason::kScheduleOff)));
  BOOST_TEST((policy.decide(flow(40000), "example.com", 50s) == PolicyDecision::pass(PassReason::kScheduleOff)));
  BOOST_TEST((policy.decide(flow(40000), std::nullopt, 150s) == PolicyDecision::pass(PassReason::kNoSni)));
  BOOST_TEST((policy.decide(flow(40000), "", 150s) == PolicyDecision::pass(PassReason::kNotTarget)));
  BOOST_TEST((policy.decide(flow(40000), "example.com", 150s) == PolicyDecision::pass(PassReason::kNotTarget)));
  BOOST_TEST(policy.decide(flow(40000), "facebook.com", 150s).intercept);

  c.sample_fraction = 0.0;
  TargetPolicy none(c);
  BOOST_TEST((none.decide(flow(40000), "facebook.com", 150s) == PolicyDecision::pass(PassReason::kNotSampled)));
  BOOST_TEST((none.decide(flow(40000), "example.com", 150s) == PolicyDecision::pass(PassReason::kNotTarget)));
}

BOOST_AUTO_TEST_CASE(other_ports_can_be_selected) {
  EngineConfig c;
  c.ports = {8443, 443};
  TargetPolicy policy(c);
  BOOST_TEST(policy.port_selected(443));
  BOOST_TEST(policy.port_selected(8443));
  BOOST_TEST(!policy.port_selected(80));
  BOOST_TEST(policy.decide(flow(40000, 8443), "vk.com", 0ns).intercept);
}

BOOST_AUTO_TEST_CASE(schedule_intervals_are_half_open) {
  EngineConfig c;
  c.schedule.active = std::vector<ScheduleInterval>{{100s, 200s}, {300s, 400s}};
  TargetPolicy policy(c);
  auto decide_at = [&](Duration t) { return policy.decide(flow(40000), "vk.com", t); };
  BOOST_TEST(!decide_at(0ns).intercept);
  BOOST_TEST(!decide_at(100s - 1ns).intercept);
  BOOST_TEST(decide_at(100s).intercept);
  BOOST_TEST(decide_at(200s - 1ns).intercept);
  BOOST_TEST((decide_at(200s) == PolicyDecision::pass(PassReason::kScheduleOff)));
  BOOST_TEST(!decide_at(300s - 1ns).intercept);
  BOOST_TEST(decide_at(300s).intercept);
  BOOST_TEST(!decide_at(400s).intercept);

  c.schedule.active = std::vector<ScheduleInterval>{};
  TargetPolicy never(c);
  BOOST_TEST((never.decide(flow(40000), "vk.com", 0ns) == PolicyDecision::pass(PassReason::kScheduleOff)));
}

BOOST_AUTO_TEST_CASE(sampling_takes_the_stated_share_reproducibly) {
  const std::vector<FlowKey> flows = many_flows();
  EngineConfig c;
  c.sample_fraction = 0.5;
  c.sample_key = "run-1";
  const std::vector<bool> first = sampled_flags(c, flows);
  const auto taken = std::count(first.begin(), first.end(), true);
  // Binomial(10000, 0.5) has a standard deviation of 50; ±300 is six of them.
  BOOST_TEST(std::abs(static_cast<double>(taken) - 5000.0) <= 300.0, "sampled " << taken << " of 10000");

  // The same key, in a fresh policy, gives the same decision for every flow.
  BOOST_TEST((sampled_flags(c, flows) == first));

  // Another key gives another sample: about half the decisions change.
  c.sample_key = "run-2";
  const std::vector<bool> second = sampled_flags(c, flows);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < flows.size(); ++i) differ += first[i] != second[i];
  BOOST_TEST(std::abs(static_cast<double>(differ) - 5000.0) <= 300.0, differ << " decisions differ");
}

BOOST_AUTO_TEST_CASE(sampling_is_nested_and_covers_the_extremes) {
  const std::vector<FlowKey> flows = many_flows();
  EngineConfig c;
  c.sample_fraction = 0.25;
  const std::vector<bool> quarter = sampled_flags(c, flows);
  c.sample_fraction = 0.5;
  const std::vector<bool> half = sampled_flags(c, flows);
  // A flow sampled at 25% stays sampled at 50%: raising the fraction only adds flows.
  for (std::size_t i = 0; i < flows.size(); ++i) {
    if (quarter[i]) BOOST_TEST_REQUIRE(half[i], "flow " << i);
  }
  BOOST_TEST(std::count(quarter.begin(), quarter.end(), true) < std::count(half.begin(), half.end(), true));
  c.sample_fraction = 1.0;
  const std::vector<bool> all = sampled_flags(c, flows);
  BOOST_TEST(std::count(all.begin(), all.end(), true) == 10000);
  c.sample_fraction = 0.0;
  const std::vector<bool> none = sampled_flags(c, flows);
  BOOST_TEST(std::count(none.begin(), none.end(), true) == 0);

  // Every part of the 4-tuple feeds the hash: points move when any one field changes.
  TargetPolicy policy(EngineConfig{});
  const FlowKey base = flow(40000);
  const double p = policy.sample_point(base);
  BOOST_TEST(p >= 0.0);
  BOOST_TEST(p < 1.0);
  BOOST_TEST(policy.sample_point(FlowKey{kClient + 1, 40000, kServer, 443}) != p);
  BOOST_TEST(policy.sample_point(FlowKey{kClient, 40001, kServer, 443}) != p);
  BOOST_TEST(policy.sample_point(FlowKey{kClient, 40000, kServer + 1, 443}) != p);
  BOOST_TEST(policy.sample_point(FlowKey{kClient, 40000, kServer, 444}) != p);
}
