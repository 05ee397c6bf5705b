#define BOOST_TEST_MODULE engine_event
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>

#include "interceptor/engine-counters.h"
#include "interceptor/engine-event.h"

using namespace mitmlab;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

EngineEvent decision(Timestamp t, PassReason why) {
  EngineEvent e;
  e.time = t;
  e.kind = EventKind::kDecision;
  e.flow = FlowKey{0x0a000002, 40000, 0x5db8d822, 443};
  e.sni = "example.com";
  e.verdict = EventVerdict::kPassthrough;
  e.reason = why;
  return e;
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_event_is_one_json_object) {
  EngineEvent e = decision(1500ms, PassReason::kNotTarget);
  e.details = {{"ja3", "abc"}};
  json j = to_json(e);
  BOOST_TEST(j["time_ns"] == 1'500'000'000);
  BOOST_TEST(j["kind"] == "decision");
  BOOST_TEST(j["flow"]["client"] == "10.0.0.2:40000");
  BOOST_TEST(j["flow"]["server"] == "93.184.216.34:443");
  BOOST_TEST(j["sni"] == "example.com");
  BOOST_TEST(j["verdict"] == "passthrough");
  BOOST_TEST(j["reason"] == "not_target");
  BOOST_TEST(j["details"]["ja3"] == "abc");

  // Parts that are absent are left out, not written as null.
  EngineEvent bare;
  bare.kind = EventKind::kMalformed;
  json b = to_json(bare);
  BOOST_TEST(b.size() == 2u);
  BOOST_TEST(b["kind"] == "malformed");
  BOOST_TEST(!b.contains("details"));
}

BOOST_AUTO_TEST_CASE(the_log_writes_json_lines_in_order) {
  EventLog log;
  log.record(decision(1s, PassReason::kNoSni));
  log.record(decision(2s, PassReason::kPort));
  std::string text = log.to_jsonl();
  std::istringstream lines(text);
  std::string line;
  std::vector<json> parsed;
  while (std::getline(lines, line)) parsed.push_back(json::parse(line));
  BOOST_REQUIRE(parsed.size() == 2u);
  BOOST_TEST(parsed[0]["reason"] == "no_sni");
  BOOST_TEST(parsed[1]["reason"] == "port");
  BOOST_TEST(text.back() == '\n');
  BOOST_TEST(log.dropped_events() == 0u);
}

BOOST_AUTO_TEST_CASE(a_capped_log_counts_what_it_drops) {
  EventLog log(2);
  for (int i = 0; i < 5; ++i) log.record(decision(std::chrono::seconds(i), PassReason::kNotTarget));
  BOOST_TEST(log.size() == 2u);
  BOOST_TEST(log.dropped_events() == 3u);
  BOOST_TEST((log.events()[1].time == 1s));  // the first events are kept
}

BOOST_AUTO_TEST_CASE(event_kind_names_are_stable) {
  std::vector<std::string_view> names;
  for (int k = 0; k <= static_cast<int>(EventKind::kMalformed); ++k) {
    names.push_back(event_kind_name(static_cast<EventKind>(k)));
  }
  std::vector<std::string_view> expected = {"flow_tracked", "decision",     "origin_check", "origin_verdict",
                                            "hijack",       "forge",        "relay",        "client_alert",
                                            "flow_closed",  "flow_expired", "flow_evicted", "malformed"};
  BOOST_TEST(names == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(counters_write_every_reason) {
  EngineCounters c;
  c.flows_seen = 4;
  c.count_passthrough(PassReason::kNotTarget);
  c.count_passthrough(PassReason::kNotTarget);
  c.count_passthrough(PassReason::kTableFull);
  c.flows_hijacked = 1;
  BOOST_TEST(c.flows_passthrough() == 3u);
  BOOST_TEST(c.passthrough(PassReason::kNotTarget) == 2u);
  json j = to_json(c);
  BOOST_TEST(j["flows_seen"] == 4);
  BOOST_TEST(j["flows_passthrough"] == 3);
  BOOST_TEST(j["flows_hijacked"] == 1);
  BOOST_TEST(j["flows_passthrough_by_reason"].size() == kPassReasonCount);
  BOOST_TEST(j["flows_passthrough_by_reason"]["not_target"] == 2);
  BOOST_TEST(j["flows_passthrough_by_reason"]["table_full"] == 1);
  BOOST_TEST(j["flows_passthrough_by_reason"]["untrusted_origin"] == 0);
  BOOST_TEST(j["packets_dropped"] == 0);
}
