#define BOOST_TEST_MODULE engine_config
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

#include "interceptor/default-targets.h"
#include "interceptor/engine-config.h"

using namespace mitmlab;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::string fixture(std::string_view name) {
  return std::string(MITMLAB_FIXTURES) + "/engine-config/" + std::string(name);
}

// The error message of a config that must not parse.
std::string error_of(const json& doc) {
  auto result = parse_engine_config(doc, "test.json");
  BOOST_REQUIRE_MESSAGE(!result.ok(), "expected a parse error for " << doc.dump());
  return result.message();
}

std::string load_error_of(std::string_view file) {
  auto result = load_engine_config(fixture(file));
  BOOST_REQUIRE_MESSAGE(!result.ok(), "expected a parse error for " << file);
  return result.message();
}

// The message of a result that should be fine; Boost builds test messages eagerly, so this
// must not touch the error of a successful result.
template <typename T>
std::string why(const Result<T>& r) { return r.ok() ? std::string() : r.message(); }

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(defaults_are_the_2019_box) {
  EngineConfig c;
  BOOST_TEST(c.targets.size() == 37u);
  BOOST_TEST(default_targets().size() == 37u);
  for (std::string_view name : {"facebook.com", "www.google.com", "vk.com", "youtube.com", "allo.google.com"}) {
    BOOST_TEST((std::find(c.targets.begin(), c.targets.end(), name) != c.targets.end()), name);
  }
  // The list names only these three google.com names (plus other services' subdomains).
  BOOST_TEST((std::find(c.targets.begin(), c.targets.end(), "maps.google.com") == c.targets.end()));
  std::vector<std::string> sorted = c.targets;
  std::sort(sorted.begin(), sorted.end());
  BOOST_TEST((std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end()), "no duplicate targets");
  BOOST_TEST((c.match == MatchMode::kExact));
  BOOST_TEST(c.ports == std::vector<std::uint16_t>{443});
  BOOST_TEST(!c.schedule.active.has_value());
  BOOST_TEST(c.schedule.active_at(0ns));
  BOOST_TEST(c.schedule.active_at(std::chrono::hours(24 * 365)));
  BOOST_TEST(c.sample_fraction == 1.0);
  BOOST_TEST(c.trust_store.empty());
  BOOST_TEST(c.forging_profile == "qaznet-2019");
  BOOST_TEST(c.origin_client_hello_profile == "kz-2019");
  BOOST_TEST(c.max_client_tls_version == 0x0303);
  BOOST_TEST(c.injected_ttl == 64);
  BOOST_TEST(c.bounds.max_flows == 65536u);
  BOOST_TEST(c.bounds.max_held_bytes_per_flow == 64u * 1024);
  BOOST_TEST(c.bounds.max_buffered_bytes_per_flow == 1024u * 1024);
  BOOST_TEST((c.timeouts.handshake_idle == 30s));
  BOOST_TEST((c.timeouts.established_idle == 300s));
  BOOST_TEST((c.timeouts.origin_check == 10s));
}

BOOST_AUTO_TEST_CASE(an_empty_object_gives_the_defaults) {
  auto parsed = parse_engine_config(json::object(), "empty");
  BOOST_REQUIRE_MESSAGE(parsed.ok(), why(parsed));
  BOOST_TEST((*parsed == EngineConfig{}));
}

BOOST_AUTO_TEST_CASE(reads_every_field_from_a_file) {
  auto parsed = load_engine_config(fixture("july-2019.json"));
  BOOST_REQUIRE_MESSAGE(parsed.ok(), why(parsed));
  const EngineConfig& c = *parsed;
  BOOST_TEST(c.targets == (std::vector<std::string>{"facebook.com", "www.google.com"}));
  BOOST_TEST((c.match == MatchMode::kSuffix));
  BOOST_TEST(c.ports == (std::vector<std::uint16_t>{443, 8443}));
  BOOST_REQUIRE(c.schedule.calendar_origin.has_value());
  BOOST_TEST(format_utc_time(*c.schedule.calendar_origin) == "2019-07-17T00:00:00Z");
  BOOST_REQUIRE(c.schedule.active.has_value());
  BOOST_REQUIRE(c.schedule.active->size() == 3u);
  BOOST_TEST(((*c.schedule.active)[0] == ScheduleInterval{0s, 442800s}));
  BOOST_TEST(((*c.schedule.active)[1] == ScheduleInterval{475200s, 842400s}));
  BOOST_TEST(((*c.schedule.active)[2] == ScheduleInterval{1144800s, 1814400s}));
  BOOST_TEST(c.sample_fraction == 0.25);
  BOOST_TEST(c.sample_key == "july");
  BOOST_REQUIRE(c.trust_store.size() == 2u);
  // Relative to the config file's directory, not to the test's working directory.
  BOOST_TEST(c.trust_store[0] == std::string(MITMLAB_FIXTURES) + "/certs/qaznet-trust-network-root.pem");
  BOOST_TEST(c.trust_store[1] == "/etc/ssl/certs/ca.pem");
  BOOST_TEST(c.forging_profile == "qaznet-2019-24h");
  BOOST_TEST(c.seed == 18446744073709551615ULL);
  BOOST_TEST(c.max_client_tls_version == 0x0304);
  BOOST_TEST(c.injected_ttl == 60);
  BOOST_TEST(c.bounds.max_flows == 1000u);
  BOOST_TEST(c.bounds.max_held_bytes_per_flow == 32768u);
  BOOST_TEST(c.bounds.max_buffered_bytes_per_flow == 262144u);
  BOOST_TEST((c.timeouts.handshake_idle == 5s));
  BOOST_TEST((c.timeouts.established_idle == 120500ms));
  BOOST_TEST((c.timeouts.origin_check == 2s));
}

BOOST_AUTO_TEST_CASE(to_json_reads_back_to_an_equal_config) {
  auto parsed = load_engine_config(fixture("july-2019.json"));
  BOOST_REQUIRE_MESSAGE(parsed.ok(), why(parsed));
  json written = to_json(*parsed);
  BOOST_TEST(written["schedule"]["origin"] == "2019-07-17T00:00:00Z");
  BOOST_TEST(written["schedule"]["active"][0]["end"] == 442800);
  BOOST_TEST(written["timeouts"]["established_idle"] == 120.5);
  BOOST_TEST(written["match"] == "suffix");
  auto again = parse_engine_config(written, "written");
  BOOST_REQUIRE_MESSAGE(again.ok(), why(again));
  BOOST_TEST((*again == *parsed));

  json defaults = to_json(EngineConfig{});
  BOOST_TEST(defaults["schedule"]["active"].is_null());
  BOOST_TEST(defaults["targets"].size() == 37u);
  auto defaults_again = parse_engine_config(defaults, "defaults");
  BOOST_REQUIRE_MESSAGE(defaults_again.ok(), why(defaults_again));
  BOOST_TEST((*defaults_again == EngineConfig{}));
}

BOOST_AUTO_TEST_CASE(bad_files_name_the_path) {
  std::string unknown = load_error_of("unknown-field.json");
  BOOST_TEST(contains(unknown, "unknown field 'tragets' at /tragets"), unknown);
  BOOST_TEST(contains(unknown, "did you mean 'targets'"), unknown);
  BOOST_TEST(contains(unknown, "unknown-field.json"), unknown);

  std::string nested = load_error_of("nested-unknown-field.json");
  BOOST_TEST(contains(nested, "unknown field 'max_flow' at /bounds/max_flow"), nested);

  std::string wrong_type = load_error_of("wrong-type.json");
  BOOST_TEST(contains(wrong_type, "expected an integer in 1..65535 at /ports/1, got string"), wrong_type);

  std::string interval = load_error_of("bad-interval.json");
  BOOST_TEST(contains(interval, "must be before its end"), interval);
  BOOST_TEST(contains(interval, "at /schedule/active/1"), interval);

  std::string fraction = load_error_of("fraction-too-large.json");
  BOOST_TEST(contains(fraction, "expected a number in [0, 1] at /sample_fraction, got number 1.5"), fraction);

  std::string port = load_error_of("port-zero.json");
  BOOST_TEST(contains(port, "at /ports/0"), port);

  auto missing = load_engine_config(fixture("no-such-file.json"));
  BOOST_TEST(!missing.ok());
  BOOST_TEST(contains(missing.message(), "cannot open"), missing.message());
}

BOOST_AUTO_TEST_CASE(wrong_values_are_refused) {
  BOOST_TEST(contains(error_of(json::array()), "expected an object at /"));
  BOOST_TEST(contains(error_of({{"targets", "facebook.com"}}), "at /targets"));
  BOOST_TEST(contains(error_of({{"targets", {"ok.ru", ""}}}), "at /targets/1"));
  BOOST_TEST(contains(error_of({{"targets", {"."}}}), "expected a host name at /targets/0"));
  BOOST_TEST(contains(error_of({{"match", "prefix"}}), "at /match"));
  BOOST_TEST(contains(error_of({{"ports", {65536}}}), "at /ports/0"));
  BOOST_TEST(contains(error_of({{"ports", {-1}}}), "at /ports/0"));
  BOOST_TEST(contains(error_of({{"ports", {443.5}}}), "at /ports/0"));
  BOOST_TEST(contains(error_of({{"ports", json::array()}}), "at /ports"));
  BOOST_TEST(contains(error_of({{"sample_fraction", -0.1}}), "at /sample_fraction"));
  BOOST_TEST(contains(error_of({{"sample_fraction", "0.5"}}), "at /sample_fraction"));
  BOOST_TEST(contains(error_of({{"seed", -1}}), "at /seed"));
  BOOST_TEST(contains(error_of({{"max_client_tls_version", "1.1"}}), "at /max_client_tls_version"));
  BOOST_TEST(contains(error_of({{"max_client_tls_version", 1.3}}), "at /max_client_tls_version"));
  BOOST_TEST(contains(error_of({{"injected_ttl", 0}}), "at /injected_ttl"));
  BOOST_TEST(contains(error_of({{"injected_ttl", 256}}), "at /injected_ttl"));
  BOOST_TEST(contains(error_of({{"bounds", {{"max_flows", 0}}}}), "at /bounds/max_flows"));
  BOOST_TEST(contains(error_of({{"timeouts", {{"origin_check", 0}}}}), "at /timeouts/origin_check"));
  BOOST_TEST(contains(error_of({{"timeouts", {{"handshake_idle", "30s"}}}}), "at /timeouts/handshake_idle"));
  BOOST_TEST(contains(error_of({{"trust_store", {1}}}), "at /trust_store/0"));
  BOOST_TEST(contains(error_of({{"forging_profile", ""}}), "at /forging_profile"));
  json calendar_without_origin = {{"schedule", {{"active", {{{"start", "2019-07-22T03:00:00Z"}, {"end", 10}}}}}}};
  BOOST_TEST(contains(error_of(calendar_without_origin), "needs /schedule/origin at /schedule/active/0/start"));
  json missing_end = {{"schedule", {{"active", {{{"start", 0}}}}}}};
  BOOST_TEST(contains(error_of(missing_end), "missing field 'end' at /schedule/active/0"));
  json bad_date = {{"schedule", {{"origin", "2019-02-30T00:00:00Z"}}}};
  BOOST_TEST(contains(error_of(bad_date), "at /schedule/origin"));
}

BOOST_AUTO_TEST_CASE(schedule_forms) {
  // Never on: an empty list is not the same as no list.
  auto never = parse_engine_config({{"schedule", {{"active", json::array()}}}}, "never");
  BOOST_REQUIRE_MESSAGE(never.ok(), why(never));
  BOOST_TEST(!never->schedule.active_at(0ns));
  auto always = parse_engine_config({{"schedule", {{"active", nullptr}}}}, "always");
  BOOST_REQUIRE_MESSAGE(always.ok(), why(always));
  BOOST_TEST(always->schedule.active_at(0ns));
  // A calendar interval may begin before the scenario does.
  json early = {{"schedule",
                 {{"origin", "2019-07-22T00:00:00Z"},
                  {"active", {{{"start", "2019-07-21T23:00:00Z"}, {"end", 60}}}}}}};
  auto parsed = parse_engine_config(early, "early");
  BOOST_REQUIRE_MESSAGE(parsed.ok(), why(parsed));
  BOOST_TEST(((*parsed->schedule.active)[0].start == -3600s));
  BOOST_TEST(parsed->schedule.active_at(0ns));
  BOOST_TEST(!parsed->schedule.active_at(60s));
}

BOOST_AUTO_TEST_CASE(utc_times) {
  auto t = parse_utc_time("2019-07-22T03:00:00Z");
  BOOST_REQUIRE(t.has_value());
  BOOST_TEST(t->time_since_epoch().count() == 1563764400LL * 1'000'000'000);
  auto fractional = parse_utc_time("2019-07-22T03:00:00.25Z");
  BOOST_REQUIRE(fractional.has_value());
  BOOST_TEST((*fractional - *t == 250ms));
  BOOST_TEST(format_utc_time(*fractional) == "2019-07-22T03:00:00.25Z");
  BOOST_TEST(format_utc_time(*t) == "2019-07-22T03:00:00Z");
  for (std::string_view bad : {"2019-07-22 03:00:00Z", "2019-07-22T03:00:00", "2019-07-22T03:00:00+00:00",
                               "2019-13-01T00:00:00Z", "2019-07-22T24:00:00Z", "2019-07-22T03:00:60Z",
                               "2019-07-22T03:00:00.Z", "2019-07-22T03:00:00.1234567891Z", "2019-7-22T03:00:00Z"}) {
    BOOST_TEST(!parse_utc_time(bad).has_value(), bad);
  }
  BOOST_TEST(parse_utc_time("2020-02-29T00:00:00Z").has_value());
  BOOST_TEST(!parse_utc_time("2019-02-29T00:00:00Z").has_value());
}
