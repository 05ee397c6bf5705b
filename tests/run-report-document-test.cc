#define BOOST_TEST_MODULE run_report_document
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "net/openssl.h"
#include "sim/figure-values.h"
#include "sim/lab-pki.h"
#include "sim/published-figures.h"
#include "sim/report-spec.h"
#include "sim/run-output.h"
#include "sim/run-report-document.h"
#include "sim/run-scoring.h"
#include "sim/scenario.h"
#include "sim/svg-plot.h"

using namespace mitmlab;
using namespace std::chrono_literals;

namespace {

Ipv4Address addr(const char* text) { return *Ipv4Address::parse(text); }

const Ipv4Address kKzVps = addr("185.120.77.10");
const Ipv4Address kUsVps = addr("203.0.113.5");
// The facts.md §6 path; the box sits between hops 4 and 5.
const std::vector<Ipv4Address> kPath = {addr("185.120.76.1"),   addr("88.204.195.89"), addr("212.154.195.97"),
                                        addr("92.47.151.210"),  addr("95.56.243.92"),  addr("178.89.110.198"),
                                        addr("178.89.110.206")};

ScanRecord record(const char* host, Verdict v, std::string reason = "") {
  ScanRecord r;
  r.address = host;
  r.sni = "facebook.com";
  r.verdict = v;
  r.row = v == Verdict::injected ? 8 : 6;
  r.reason = std::move(reason);
  return r;
}

HijackedFlow hijack(const char* host, Ipv4Address client, Timestamp at, const char* sni = "facebook.com") {
  HijackedFlow h;
  h.bump = "kz-box";
  h.time = at;
  h.client = client;
  h.client_port = 40000;
  h.server = addr(host);
  h.server_port = 443;
  h.sni = sni;
  return h;
}

PathTruth facts_path() {
  PathTruth p;
  p.hops = kPath;
  PathBump b;
  b.name = "kz-box";
  b.hops_before = 4;
  b.hop_before = kPath[3];
  b.hop_after = kPath[4];
  p.bumps.push_back(b);
  return p;
}

// A sweep over the facts path: routers answer TTL 1..7, the server TTL 8; the test SNI
// draws an answer from the box at TTL `injected` (none: it reached the server).
TraceResult traced(const char* host, std::optional<unsigned> injected) {
  TraceResult r;
  r.host.address = host;
  r.test.sni = "www.facebook.com";
  r.server_ttl = 8;
  r.control.answer_ttl = 8;
  r.injection_ttl = injected.value_or(8);
  r.test.answer_ttl = r.injection_ttl;
  for (unsigned ttl = 1; ttl <= 8; ++ttl) {
    TraceHop h;
    h.ttl = ttl;
    if (ttl <= kPath.size()) h.address = kPath[ttl - 1];
    h.answered = ttl == 8;
    r.hops.push_back(h);
  }
  if (injected) {
    r.verdict = "injected-before-server";
    r.hop_before = kPath[*injected - 2];
    r.hop_after = kPath[*injected - 1];
    r.hops_before_server = 8 - *injected;
  } else {
    r.verdict = "no-injection";
  }
  return r;
}

struct Certs {
  Bytes original, forged;
};

const Certs& certs() {
  static const Certs made = [] {
    TestCa public_root = make_test_ca("mitmlab Fictional Root CA A");
    TestCa box = make_test_ca("Security Certificate");
    auto original = make_test_leaf(public_root, {"online.kazbank.example"}, 1001);
    auto forged = make_test_leaf(box, {"online.kazbank.example"}, 2002);
    return Certs{x509_to_der(original->leaf.get()), x509_to_der(forged->leaf.get())};
  }();
  return made;
}

RunResults sample_run() {
  RunResults r;
  r.scenario = "report-test";
  r.description = "Two scans, one trace and a fetch, built by hand.";
  r.seed = 7;
  r.start = 1563703200;  // 2019-07-21T10:00:00Z
  r.sim_seconds = 4000;
  r.job_order = {"scan-kz", "trace-raw", "scan-us", "fetch"};

  BumpResult bump;
  bump.name = "kz-box";
  bump.a = "r4";
  bump.b = "r5";
  bump.counters.flows_seen = 12;
  bump.counters.flows_hijacked = 6;
  bump.schedule.active = std::vector<ScheduleInterval>{{0s, 5s}, {50s, 7200s}};
  r.bumps.push_back(bump);

  ScanJobResult kz;
  kz.name = "scan-kz";
  kz.vantage = "kz-vps";
  kz.vantage_address = kKzVps;
  kz.snis = {"facebook.com"};
  kz.records = {record("178.89.112.10", Verdict::injected), record("178.89.112.20", Verdict::injected, "self-signed"),
                record("178.89.112.30", Verdict::ok), record("178.89.112.40", Verdict::ok)};
  kz.records[0].test_chain = {certs().forged};
  kz.records[0].control_chain = {certs().original};
  kz.record_times = {2s, 3s, 8s, 9s};
  // .10 truly intercepted and found; .30 hijacked at 2 s, but the box switched off at 5 s and
  // the retry (completed at 8 s) reached the server: a false negative the report must explain.
  kz.hijacks = {hijack("178.89.112.10", kKzVps, 1s), hijack("178.89.112.30", kKzVps, 2s)};
  kz.score = score_scan(kz.records, kz.vantage_address, kz.hijacks);
  kz.timing = {1s, 10s, true};
  r.scans.push_back(kz);

  ScanJobResult us;
  us.name = "scan-us";
  us.vantage = "us-vps";
  us.vantage_address = kUsVps;
  us.snis = {"facebook.com"};
  us.records = {record("178.89.112.10", Verdict::injected), record("178.89.112.40", Verdict::ok)};
  us.record_times = {3601s, 3602s};
  us.hijacks = {hijack("178.89.112.10", kUsVps, 3601s)};
  us.score = score_scan(us.records, us.vantage_address, us.hijacks);
  us.timing = {3600s, 3610s, true};
  r.scans.push_back(us);

  TraceJobResult trace;
  trace.name = "trace-raw";
  trace.vantage = "kz-vps";
  trace.vantage_address = kKzVps;
  trace.mode = "raw";
  trace.sni = "www.facebook.com";
  trace.results = {traced("178.89.112.10", 5), traced("178.89.112.30", 5), traced("178.89.112.50", std::nullopt)};
  trace.result_times = {61s, 62s, 63s};
  for (const char* host : {"178.89.112.10", "178.89.112.30", "178.89.112.50"}) {
    trace.paths[addr(host)] = facts_path();
    trace.hijacks.push_back(hijack(host, kKzVps, 60s, "www.facebook.com"));
  }
  trace.score = score_trace(trace.results, trace.vantage_address, trace.sni, trace.hijacks, trace.paths);
  trace.timing = {60s, 70s, true};
  r.traces.push_back(trace);

  FetchJobResult fetch;
  fetch.name = "fetch";
  fetch.vantage = "kz-vps";
  fetch.server = "facebook.com";
  fetch.sni = "facebook.com";
  fetch.path = "/";
  fetch.server_address = addr("178.89.112.20");
  fetch.handshake_done = true;
  fetch.verified = true;
  fetch.status_line = "HTTP/1.1 200 OK";
  fetch.body_bytes = 1024;
  fetch.body_intact = true;
  fetch.chain = {certs().forged};
  fetch.truth_hijacked = true;
  fetch.timing = {3700s, 3701s, true};
  r.fetches.push_back(fetch);
  return r;
}

ReportSpec sample_spec() {
  auto spec = parse_report_spec(nlohmann::json::parse(R"({
    "title": "Report test",
    "figures": {
      "kz_intercepted": {"job": "scan-kz", "note": "4 hosts, not 6,736"},
      "us_intercepted": {"job": "scan-us"},
      "swept_injected_before_server": {"job": "trace-raw"},
      "hop_pairs_known": {"jobs": ["trace-raw"]},
      "example_injection_hop": {"job": "trace-raw"}
    },
    "example_trace": {"job": "trace-raw"}
  })"),
                                "test.json");
  BOOST_TEST_REQUIRE(spec.ok(), (spec.ok() ? "" : spec.message()));
  return *spec;
}

// The markdown table row whose first cell is `id`.
std::string row_of(const std::string& markdown, const std::string& id) {
  auto at = markdown.find("| " + id + " |");
  if (at == std::string::npos) return "";
  return markdown.substr(at, markdown.find('\n', at) - at);
}

// Opening and closing tags pair up (void HTML elements and "<... />" aside). Returns "" or
// what went wrong.
std::string tag_balance(const std::string& text) {
  static const std::set<std::string> kVoid = {"meta", "br", "hr", "img", "link", "input"};
  std::vector<std::string> open;
  for (std::size_t i = text.find('<'); i != std::string::npos; i = text.find('<', i + 1)) {
    if (text.compare(i, 2, "<!") == 0) continue;
    const std::size_t end = text.find('>', i);
    if (end == std::string::npos) return "unterminated tag";
    const bool closing = text[i + 1] == '/';
    std::size_t name_start = i + (closing ? 2 : 1);
    std::size_t name_end = text.find_first_of(" />\n", name_start);
    const std::string name = text.substr(name_start, name_end - name_start);
    if (closing) {
      if (open.empty() || open.back() != name) return "unexpected </" + name + ">";
      open.pop_back();
    } else if (text[end - 1] != '/' && !kVoid.contains(name)) {
      open.push_back(name);
    }
  }
  return open.empty() ? "" : "unclosed <" + open.back() + ">";
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(figure_table_sets_published_measured_and_true_values_side_by_side) {
  const std::string md = report_markdown(sample_run(), sample_spec());
  const std::string kz = row_of(md, "kz_intercepted");
  BOOST_TEST(kz.find("| 1,598 of 6,736 (24%) |") != std::string::npos, kz);
  BOOST_TEST(kz.find("| 2 of 4 (50.0%) | 2 of 4 (50.0%) |") != std::string::npos, kz);
  BOOST_TEST(kz.find("4 hosts, not 6,736") != std::string::npos, kz);
  const std::string us = row_of(md, "us_intercepted");
  BOOST_TEST(us.find("| 459 of 6,736 (7.0%) | 1 of 2 (50.0%) | 1 of 2 (50.0%) | scan-us |") != std::string::npos, us);
  // Two of three traced hosts were localized before the server; all three truly were.
  const std::string swept = row_of(md, "swept_injected_before_server");
  BOOST_TEST(swept.find("| 2 of 3 (66.7%) | 3 of 3 (100.0%) |") != std::string::npos, swept);
  const std::string pairs = row_of(md, "hop_pairs_known");
  BOOST_TEST(pairs.find("| 2 of 2 (100.0%) | 3 of 3 (100.0%) |") != std::string::npos, pairs);
  const std::string hop = row_of(md, "example_injection_hop");
  BOOST_TEST(hop.find("| 5 (178.89.112.10, between 92.47.151.210 and 95.56.243.92) | 5 (between 92.47.151.210 and "
                      "95.56.243.92) |") != std::string::npos,
             hop);
  BOOST_TEST(row_of(md, "atlas_probes_intercepted").find("not measured by this scenario") != std::string::npos);
  BOOST_TEST(row_of(md, "targeted_names").find("not measured by this scenario") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_score_below_one_gets_an_explanation_from_the_data) {
  const std::string md = report_markdown(sample_run(), sample_spec());
  // scan-kz: precision 1/2 (178.89.112.20 was judged injected, no bump touched it) and
  // recall 1/2 (178.89.112.30 was hijacked at 2 s, the box switched off at 5 s).
  BOOST_TEST(md.find("- scan-kz: precision 0.500 (1 of 2 'injected' records were hijacked): 1 record: the test leaf "
                     "differed") != std::string::npos);
  BOOST_TEST(md.find("178.89.112.20 facebook.com: self-signed") != std::string::npos);
  BOOST_TEST(md.find("- scan-kz: recall 0.500 (1 of 2 hijacked records were found): 1 record: the box switched off") !=
             std::string::npos);
  BOOST_TEST(md.find("kz-box hijacked it at 2019-07-21T10:00:02Z, switched off at 2019-07-21T10:00:05Z") !=
             std::string::npos);
  // trace-raw: 178.89.112.50 was hijacked while the box was on, the localizer missed it.
  BOOST_TEST(md.find("- trace-raw: accuracy 0.667 (2 of 3 hosts localized where the box is): 1 host: the box hijacked "
                     "test flows but the localizer said no-injection (e.g. 178.89.112.50)") != std::string::npos);
  // scan-us is perfect: nothing to explain.
  BOOST_TEST(md.find("- scan-us:") == std::string::npos);
  const nlohmann::json summary = report_summary_json(sample_run(), sample_spec());
  BOOST_TEST(summary["explanations"]["scan-kz"].size() == 2u);
  BOOST_TEST(summary["explanations"]["scan-us"].empty());
  BOOST_TEST(summary["explanations"]["trace-raw"].size() == 1u);
}

BOOST_AUTO_TEST_CASE(report_shows_the_traceroute_the_forgery_and_the_bump) {
  const std::string md = report_markdown(sample_run(), sample_spec());
  BOOST_TEST(md.find("---- certificate injection occurred between hops 4 and 5 ----") != std::string::npos);
  BOOST_TEST(md.find("Ground truth: bump kz-box between 92.47.151.210 and 95.56.243.92") != std::string::npos);
  BOOST_TEST(md.find("178.89.112.10 scanned by 'scan-kz'") != std::string::npos);
  BOOST_TEST(md.find("CN = Security Certificate") != std::string::npos);  // the forged leaf's issuer row
  BOOST_TEST(md.find("| kz-box | r4 - r5 | on 2019-07-21T10:00:00Z to 2019-07-21T10:00:05Z; "
                     "2019-07-21T10:00:50Z to 2019-07-21T12:00:00Z | 12 | 6 |") != std::string::npos);
  BOOST_TEST(md.find("![Intercepted hosts over time") != std::string::npos);
  BOOST_TEST(md.find("| fetch | kz-vps | https://facebook.com/ (178.89.112.20) | HTTP/1.1 200 OK |") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(html_is_self_contained_balanced_and_deterministic) {
  const RunResults run = sample_run();
  const ReportSpec spec = sample_spec();
  const std::string html = report_html(run, spec);
  BOOST_TEST(html == report_html(run, spec));
  BOOST_TEST(report_markdown(run, spec) == report_markdown(run, spec));
  for (const char* attr : {"src=", "href="}) BOOST_TEST(html.find(attr) == std::string::npos, attr);
  BOOST_TEST(html.find("<script") == std::string::npos);
  BOOST_TEST(html.find("<style>") != std::string::npos);
  BOOST_TEST(count(html, "<svg") == 3u);  // hops histogram and hop pairs (one trace job), timeline
  BOOST_TEST(count(html, "<svg") == count(html, "</svg>"));
  BOOST_TEST(tag_balance(html) == "");
  for (const auto& [file, svg] : build_run_report(run, spec).plots) BOOST_TEST(tag_balance(svg) == "", file);
}

BOOST_AUTO_TEST_CASE(histogram_bars_count_the_hosts) {
  const RunReport report = build_run_report(sample_run(), sample_spec());
  std::string hist;
  for (const auto& [file, svg] : report.plots)
    if (file == "plots/trace-raw-hops-before-server.svg") hist = svg;
  BOOST_TEST_REQUIRE(!hist.empty());
  // Two hosts localized 3 hops before the server; ground truth says three.
  BOOST_TEST(count(hist, "<rect class=\"bar\"") == 2u);
  BOOST_TEST(count(hist, "<title>measured, 3: 2</title>") == 1u);
  BOOST_TEST(count(hist, "<title>ground truth, 3: 3</title>") == 1u);
  const std::string md = report.markdown;
  BOOST_TEST(md.find("| 3 | 2 | 3 |") != std::string::npos);
  BOOST_TEST(md.find("| 1 | 92.47.151.210 | 95.56.243.92 | 2 | 100.0% | 3 |") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(svg_escapes_text_and_labels_calendar_dates) {
  BarChart bars;
  bars.title = "<hops> & \"pairs\"";
  bars.categories = {"a<b"};
  bars.series = {{"n", {4}, ""}};
  const std::string svg = render_svg(bars);
  BOOST_TEST(svg.find("&lt;hops&gt; &amp; &quot;pairs&quot;") != std::string::npos);
  BOOST_TEST(svg.find("a&lt;b") != std::string::npos);
  BOOST_TEST(svg.find("<hops>") == std::string::npos);
  BOOST_TEST(tag_balance(svg) == "");

  TimeChart chart;
  chart.title = "over days";
  const CalendarTime day0 = std::chrono::sys_days{std::chrono::year{2019} / 7 / 17};
  chart.series = {{"kz", {{day0, 10}, {day0 + std::chrono::hours(24 * 5), 30}}, false, true, ""}};
  const std::string days = render_svg(chart);
  BOOST_TEST(days.find(">2019-07-19<") != std::string::npos);
  BOOST_TEST(days.find("kz, 2019-07-22 00:00: 30") != std::string::npos);
  BOOST_TEST(tag_balance(days) == "");
  TimeChart empty;
  BOOST_TEST(render_svg(empty).find("no data") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(report_spec_is_read_checked_and_written_back) {
  const ReportSpec spec = sample_spec();
  BOOST_TEST(spec.figures.size() == 5u);
  BOOST_TEST(spec.figures.front().figure == "example_injection_hop");  // sorted by id
  auto again = parse_report_spec(to_json(spec), "again");
  BOOST_TEST_REQUIRE(again.ok());
  BOOST_TEST(to_json(*again) == to_json(spec));

  auto bad = parse_report_spec(nlohmann::json::parse(R"({"figures": {"bogus": {"job": "x"}}})"), "s.json");
  BOOST_TEST_REQUIRE(!bad.ok());
  BOOST_TEST(bad.message().find("scenario s.json: unknown figure 'bogus'") == 0u, bad.message());
  BOOST_TEST(bad.message().find("at /report/figures/bogus") != std::string::npos, bad.message());
  auto both = parse_report_spec(nlohmann::json::parse(R"({"figures": {"us_intercepted": {"job": "a", "jobs": ["b"]}}})"),
                                "s.json");
  BOOST_TEST(!both.ok());
  auto count_bad = parse_report_spec(nlohmann::json::parse(R"({"top_hop_pairs": 0})"), "s.json");
  BOOST_TEST(!count_bad.ok());

  std::vector<ScenarioJob> jobs(2);
  jobs[0].name = "scan-kz";
  jobs[0].kind = JobKind::scan;
  jobs[1].name = "trace-raw";
  jobs[1].kind = JobKind::trace;
  ReportSpec wrong = spec;
  wrong.figures.push_back({"kz_intercepted_after_pause", {"trace-raw"}, ""});
  BOOST_TEST(!check_report_spec(wrong, jobs, "s.json").ok());
  ReportSpec missing = spec;
  BOOST_TEST(!check_report_spec(missing, jobs, "s.json").ok());  // scan-us is not among the jobs
  jobs.push_back(jobs[0]);
  jobs.back().name = "scan-us";
  BOOST_TEST(check_report_spec(spec, jobs, "s.json").ok());
}

BOOST_AUTO_TEST_CASE(every_published_figure_has_a_unique_id_and_a_source) {
  std::set<std::string> ids;
  for (const PublishedFigure& f : published_figures()) {
    BOOST_TEST(ids.insert(f.id).second, f.id);
    BOOST_TEST(!f.source.empty());
    BOOST_TEST(find_published_figure(f.id) == &f);
  }
  BOOST_TEST(find_published_figure("us_intercepted")->count.value_or(0) == 459.0);
  BOOST_TEST(format_count(6736) == "6,736");
  BOOST_TEST(format_count(1234567) == "1,234,567");
  BOOST_TEST(format_count(340.5) == "340.5");
}

BOOST_AUTO_TEST_CASE(every_kind_of_figure_is_measured_and_missing_jobs_are_said) {
  auto spec = parse_report_spec(nlohmann::json::parse(R"({"figures": {
      "trusted_hosts": {"job": "scan-kz"},
      "atlas_probes_intercepted": {"jobs": ["scan-kz", "scan-us"]},
      "median_intercepted_while_active": {"jobs": ["scan-kz", "scan-us"]},
      "targeted_names": {"job": "scan-kz"},
      "hops_before_server_3_or_4": {"job": "trace-raw"},
      "us_intercepted_after_pause": {"job": "scan-later"}
    }})"),
                                "kinds.json");
  BOOST_TEST_REQUIRE(spec.ok(), (spec.ok() ? "" : spec.message()));
  std::map<std::string, nlohmann::json> by_id;
  for (const nlohmann::json& f : figures_json(evaluate_figures(sample_run(), *spec)))
    by_id[f["id"].get<std::string>()] = f;
  auto text = [&](const char* id, const char* which) {
    const nlohmann::json& v = by_id.at(id)[which];
    return v.is_null() ? std::string("null") : v["text"].get<std::string>();
  };
  BOOST_TEST(text("trusted_hosts", "measured") == "4 of 4 (100.0%); judged trusted by the scan");
  BOOST_TEST(text("trusted_hosts", "truth") == "null");
  BOOST_TEST(by_id["trusted_hosts"].contains("truth_note"));
  BOOST_TEST(text("atlas_probes_intercepted", "measured") == "2 of 2 (100.0%); scan jobs");
  BOOST_TEST(text("median_intercepted_while_active", "measured") == "1.5 of 3 (50.0%); median of 2 scans");
  BOOST_TEST(text("targeted_names", "measured") == "1 of 1 (100.0%); SNI values");
  BOOST_TEST(text("targeted_names", "truth") == "1 of 1 (100.0%); SNI values");
  BOOST_TEST(text("hops_before_server_3_or_4", "measured") == "2 of 2 (100.0%); mostly 3 hops (2 hosts)");
  BOOST_TEST(text("hops_before_server_3_or_4", "truth") == "3 of 3 (100.0%); mostly 3 hops (3 hosts)");
  BOOST_TEST(by_id["us_intercepted_after_pause"]["missing"] == "job 'scan-later' has no results in this run");
  BOOST_TEST(by_id["us_intercepted_after_pause"]["measured"].is_null());
  BOOST_TEST(by_id["kz_intercepted"]["missing"] == "not measured by this scenario");
  BOOST_TEST(by_id["us_intercepted"]["measured"].is_null());
}

BOOST_AUTO_TEST_CASE(without_recorded_hijacks_the_misses_are_counted_not_invented) {
  RunResults run = sample_run();
  run.scans[0].hijacks.clear();  // the score was computed from them; the report only sees counts
  const nlohmann::json summary = report_summary_json(run, sample_spec());
  BOOST_TEST_REQUIRE(summary["explanations"]["scan-kz"].size() == 1u);
  BOOST_TEST(summary["explanations"]["scan-kz"][0].get<std::string>().find(
                 "1 false-positive and 1 false-negative records, but the run recorded no hijacked flows") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(written_report_links_plots_that_exist) {
  const auto dir = std::filesystem::temp_directory_path() / "mitmlab-run-report-document-test";
  std::filesystem::remove_all(dir);
  auto out = RunOutput::open(dir);
  BOOST_TEST_REQUIRE(out.ok());
  BOOST_TEST_REQUIRE(write_run_report(*out, sample_run(), sample_spec()).ok());
  BOOST_TEST(std::filesystem::exists(dir / "report.html"));
  std::ifstream md(dir / "report.md");
  const std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  std::size_t links = 0;
  for (std::size_t at = text.find("](plots/"); at != std::string::npos; at = text.find("](plots/", at + 1), ++links) {
    const std::string file = text.substr(at + 2, text.find(')', at) - at - 2);
    BOOST_TEST(std::filesystem::exists(dir / file), file);
  }
  BOOST_TEST(links == 3u);
  // A rerun removes plots the previous run left.
  std::ofstream(dir / "plots" / "stale.svg") << "<svg/>";
  BOOST_TEST_REQUIRE(RunOutput::open(dir).ok());
  BOOST_TEST(!std::filesystem::exists(dir / "plots"));
  std::filesystem::remove_all(dir);
}
