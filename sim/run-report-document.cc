#include "sim/run-report-document.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <map>
#include <set>

#include <fmt/core.h>

#include "interceptor/forge/certificate-description.h"
#include "net/openssl.h"
#include "scanner/certificate-summary.h"
#include "sim/figure-values.h"
#include "sim/run-report.h"
#include "sim/score-explanation.h"
#include "sim/svg-plot.h"
#include "sim/text-document.h"
#include "sim/trace-truth.h"

namespace mitmlab {
namespace {

constexpr std::string_view kDash = "—";
constexpr std::array<std::string_view, 6> kColours = {"#1f77b4", "#d62728", "#2ca02c",
                                                      "#ff7f0e", "#9467bd", "#8c564b"};
constexpr std::string_view kTruthColour = "#999999";

std::string ratio(const std::optional<double>& v) { return v ? fmt::format("{:.3f}", *v) : "n/a"; }
std::string sni_label(const std::string& sni) { return sni.empty() ? "no SNI" : sni; }
std::string address_text(const std::optional<Ipv4Address>& a) { return a ? a->to_string() : "*"; }

// A job name as part of a file name: [a-z0-9-] only.
std::string file_part(const std::string& name) {
  std::string out;
  for (char c : name) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') out += c;
    else if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 'a');
    else out += '-';
  }
  return out.empty() ? "job" : out;
}

CalendarTime calendar(const RunResults& r, Timestamp t) {
  return std::chrono::sys_time<std::chrono::nanoseconds>(std::chrono::seconds(r.start)) + t;
}

// Jobs of one kind in scenario order.
template <typename Job>
std::vector<const Job*> in_order(const RunResults& r, const std::vector<Job>& jobs) {
  std::vector<const Job*> out;
  for (const std::string& name : r.job_order)
    for (const Job& j : jobs)
      if (j.name == name) out.push_back(&j);
  for (const Job& j : jobs)  // jobs job_order does not name, after the others
    if (std::find(r.job_order.begin(), r.job_order.end(), j.name) == r.job_order.end()) out.push_back(&j);
  return out;
}

std::string schedule_text(const RunResults& r, const Schedule& s) {
  if (!s.active) return "always on";
  if (s.active->empty()) return "never on";
  std::string out;
  for (const ScheduleInterval& i : *s.active)
    out += fmt::format("{}{} to {}", out.empty() ? "on " : "; ", run_calendar_time(r, Timestamp{i.start}),
                       run_calendar_time(r, Timestamp{i.end}));
  return out;
}

class ReportBuilder {
 public:
  ReportBuilder(const RunResults& r, const ReportSpec& spec) : r_(r), spec_(spec) {}

  RunReport build() {
    const std::string title = spec_.title.empty() ? "mitmlab run " + r_.scenario : spec_.title;
    doc_.heading(1, title);
    if (!r_.description.empty()) doc_.paragraph(r_.description);
    doc_.paragraph(fmt::format(
        "Scenario '{}', seed {}; simulation time 0 is {}; {:.1f} simulated seconds. Measured values are what the "
        "tools (scanner, TTL localizer) concluded, driven exactly as on the Internet; ground truth is what the "
        "bumps did (their hijack events) and where they sit (the installed routes), read only after the run.",
        r_.scenario, r_.seed, run_calendar_time(r_, {}), r_.sim_seconds));
    figures();
    scores();
    injection_points();
    timeline();
    example_traceroute();
    forgery();
    bumps();
    other_jobs();
    return {doc_.markdown(), doc_.html(title), std::move(plots_)};
  }

 private:
  void plot(const std::string& caption, std::string svg, const std::string& file) {
    plots_.emplace_back(file, svg);
    doc_.figure(caption, std::move(svg), file);
  }

  void figures() {
    doc_.heading(2, "Published, measured and ground truth");
    doc_.paragraph("Every figure of the 2019 measurements (facts.md) with the value this run measured and the true "
                   "value. A scenario is smaller than the 2019 Internet: compare the shares in parentheses, not the "
                   "counts.");
    std::vector<std::vector<std::string>> rows;
    for (const FigureRow& f : evaluate_figures(r_, spec_)) {
      std::string note = f.note;
      for (const std::string* extra : {&f.missing, &f.truth_note})
        if (!extra->empty()) note += (note.empty() ? "" : "; ") + *extra;
      std::string jobs;
      for (const std::string& j : f.jobs) jobs += (jobs.empty() ? "" : ", ") + j;
      rows.push_back({f.figure->id, f.figure->description, f.figure->published,
                      f.measured ? format_figure_value(*f.measured) : std::string(kDash),
                      f.truth ? format_figure_value(*f.truth) : std::string(kDash), jobs.empty() ? std::string(kDash) : jobs,
                      f.figure->source, note});
    }
    doc_.table({"Id", "Figure", "Published", "Measured", "Ground truth", "Jobs", "Source", "Note"}, rows);
  }

  void scores() {
    doc_.heading(2, "Scores against ground truth");
    doc_.paragraph("Scan jobs: precision = records judged injected that a bump really hijacked / all records judged "
                   "injected; recall = the same / all records a bump hijacked. Trace jobs: accuracy = hosts localized "
                   "between the same two routers as the box that hijacked them / hosts the truth or the tool calls "
                   "injected. n/a: nothing to divide by.");
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> explanations;
    auto add = [&](const std::string& job, const std::vector<std::string>& lines) {
      for (const std::string& l : lines) explanations.push_back(fmt::format("{}: {}", job, l));
    };
    const std::string dash(kDash);
    for (const std::string& name : r_.job_order) {
      for (const ScanJobResult& s : r_.scans)
        if (s.name == name) {
          rows.push_back({s.name, "scan", s.vantage, run_calendar_time(r_, s.timing.started),
                          std::to_string(s.score.hosts), std::to_string(s.score.intercepted),
                          std::to_string(s.score.truth_intercepted), ratio(s.score.precision), ratio(s.score.recall),
                          dash});
          add(s.name, explain_scan_score(s, r_));
        }
      for (const TraceJobResult& t : r_.traces)
        if (t.name == name) {
          rows.push_back({t.name, "trace (" + t.mode + ")", t.vantage, run_calendar_time(r_, t.timing.started),
                          std::to_string(t.score.hosts), std::to_string(t.score.localized),
                          std::to_string(t.score.truth_injected), dash, dash, ratio(t.score.accuracy)});
          add(t.name, explain_trace_score(t, r_));
        }
    }
    doc_.table({"Job", "Kind", "Vantage", "Started (UTC)", "Hosts", "Intercepted / localized (measured)",
                "Intercepted (truth)", "Precision", "Recall", "Accuracy"},
               rows);
    for (const ScanJobResult* s : in_order(r_, r_.scans))
      if (!s->timing.completed) explanations.push_back(fmt::format("{}: the simulation ended before the job finished", s->name));
    for (const TraceJobResult* t : in_order(r_, r_.traces))
      if (!t->timing.completed) explanations.push_back(fmt::format("{}: the simulation ended before the job finished", t->name));
    doc_.heading(3, "Why a score is below 1.0");
    if (explanations.empty())
      doc_.paragraph("Every precision, recall and accuracy above is 1.0.");
    else
      doc_.list(explanations);
  }

  void injection_points() {
    doc_.heading(2, "Where the injection happens");
    const auto traces = in_order(r_, r_.traces);
    if (traces.empty()) {
      doc_.paragraph("This scenario ran no trace job.");
      return;
    }
    doc_.paragraph("The 2019 sweep found injection before the server for 99.5% of the first 1,212 hosts, mostly 3 or "
                   "4 hops before it, and in 95% of cases between 92.47.151.210 or 92.47.150.198 and 95.56.243.92 or "
                   "95.59.170.59 (facts.md §6, §7).");
    for (const TraceJobResult* t : traces) {
      doc_.heading(3, fmt::format("Trace '{}' ({} mode, test SNI {}, control {}, from {})", t->name, t->mode,
                                  sni_label(t->sni), sni_label(t->control_sni), t->vantage));
      const bool truth_known = !(t->hijacks.empty() && t->score.truth_injected > 0);
      std::map<unsigned, std::size_t> truth_hops;
      std::map<std::pair<std::optional<Ipv4Address>, std::optional<Ipv4Address>>, std::size_t> truth_pairs;
      for (const TraceResult& res : t->results)
        if (auto b = trace_truth(*t, res)) {
          ++truth_hops[truth_hops_before_server(*t, res, *b)];
          ++truth_pairs[{b->hop_before, b->hop_after}];
        }
      std::set<unsigned> keys;
      for (const auto& [h, n] : t->score.hops_before_server) keys.insert(h);
      for (const auto& [h, n] : truth_hops) keys.insert(h);
      BarChart hist;
      hist.title = fmt::format("Hops before the server: {}", t->name);
      hist.x_label = "hops between the injection point and the server";
      hist.y_label = "hosts";
      BarSeries measured{"measured", {}, std::string(kColours[0])};
      BarSeries truth{"ground truth", {}, std::string(kTruthColour)};
      std::vector<std::vector<std::string>> rows;
      for (unsigned h : keys) {
        hist.categories.push_back(std::to_string(h));
        const std::size_t m = t->score.hops_before_server.count(h) ? t->score.hops_before_server.at(h) : 0;
        const std::size_t g = truth_hops.count(h) ? truth_hops.at(h) : 0;
        measured.values.push_back(static_cast<double>(m));
        truth.values.push_back(static_cast<double>(g));
        rows.push_back({std::to_string(h), std::to_string(m), truth_known ? std::to_string(g) : "n/a"});
      }
      hist.series.push_back(measured);
      if (truth_known) hist.series.push_back(truth);
      plot(fmt::format("Hops before the server, {} (measured: the localizer's injected-before-server hosts)", t->name),
           render_svg(hist), fmt::format("plots/{}-hops-before-server.svg", file_part(t->name)));
      doc_.table({"Hops before the server", "Hosts (measured)", "Hosts (truth)"}, rows);

      const std::size_t localized = t->score.localized;
      std::vector<std::vector<std::string>> pair_rows;
      BarChart pairs;
      pairs.title = fmt::format("Top hop pairs: {}", t->name);
      pairs.y_label = "localized hosts";
      pairs.horizontal = true;
      BarSeries pm{"measured", {}, std::string(kColours[0])};
      BarSeries pt{"ground truth", {}, std::string(kTruthColour)};
      for (std::size_t i = 0; i < t->score.hop_pairs.size() && i < spec_.top_hop_pairs; ++i) {
        const HopPairCount& p = t->score.hop_pairs[i];
        auto g = truth_pairs.find({p.before, p.after});
        const std::size_t true_count = g == truth_pairs.end() ? 0 : g->second;
        pair_rows.push_back({std::to_string(i + 1), address_text(p.before), address_text(p.after),
                             std::to_string(p.count),
                             localized ? fmt::format("{:.1f}%", 100.0 * static_cast<double>(p.count) /
                                                                    static_cast<double>(localized))
                                       : std::string(kDash),
                             truth_known ? std::to_string(true_count) : "n/a"});
        pairs.categories.push_back(address_text(p.before) + " - " + address_text(p.after));
        pm.values.push_back(static_cast<double>(p.count));
        pt.values.push_back(static_cast<double>(true_count));
      }
      if (pair_rows.empty()) {
        doc_.paragraph("No host was localized, so there are no hop pairs.");
        continue;
      }
      pairs.series.push_back(pm);
      if (truth_known) pairs.series.push_back(pt);
      doc_.table({"#", "Hop before", "Hop after", "Hosts (measured)", "Share of localized", "Hosts (truth)"}, pair_rows);
      plot(fmt::format("Top hop pairs, {} (the routers either side of the injection point)", t->name),
           render_svg(pairs), fmt::format("plots/{}-hop-pairs.svg", file_part(t->name)));
    }
  }

  void timeline() {
    doc_.heading(2, "Intercepted hosts over time");
    const auto scans = in_order(r_, r_.scans);
    if (scans.empty()) {
      doc_.paragraph("This scenario ran no scan job.");
      return;
    }
    std::vector<std::string> vantages;
    for (const ScanJobResult* s : scans)
      if (std::find(vantages.begin(), vantages.end(), s->vantage) == vantages.end()) vantages.push_back(s->vantage);
    TimeChart chart;
    chart.title = "Intercepted hosts per scan, by vantage point";
    chart.y_label = "hosts intercepted";
    std::vector<std::vector<std::string>> rows;
    for (std::size_t v = 0; v < vantages.size(); ++v) {
      TimeSeries measured{vantages[v] + " (measured)", {}, false, false, std::string(kColours[v % kColours.size()])};
      TimeSeries truth{vantages[v] + " (truth)", {}, true, false, measured.color};
      for (const ScanJobResult* s : scans) {
        if (s->vantage != vantages[v]) continue;
        const CalendarTime at = calendar(r_, s->timing.started);
        measured.points.push_back({at, static_cast<double>(s->score.intercepted)});
        truth.points.push_back({at, static_cast<double>(s->score.truth_intercepted)});
      }
      auto by_time = [](const TimePoint& a, const TimePoint& b) { return a.time < b.time; };
      std::stable_sort(measured.points.begin(), measured.points.end(), by_time);
      std::stable_sort(truth.points.begin(), truth.points.end(), by_time);
      chart.series.push_back(std::move(measured));
      chart.series.push_back(std::move(truth));
    }
    for (const ScanJobResult* s : scans)
      rows.push_back({s->name, s->vantage, run_calendar_time(r_, s->timing.started), std::to_string(s->score.hosts),
                      std::to_string(s->score.intercepted), std::to_string(s->score.truth_intercepted)});
    plot("Intercepted hosts over time: each scan job at its start, measured (solid) and true (dashed)",
         render_svg(chart), "plots/intercepted-over-time.svg");
    doc_.table({"Job", "Vantage", "Started (UTC)", "Hosts", "Intercepted (measured)", "Intercepted (truth)"}, rows);
  }

  void example_traceroute() {
    doc_.heading(2, "Example traceroute");
    const TraceJobResult* job = nullptr;
    const TraceResult* res = nullptr;
    for (const TraceJobResult* t : in_order(r_, r_.traces)) {
      if (!spec_.example_trace_job.empty() && t->name != spec_.example_trace_job) continue;
      if ((res = example_trace_host(*t, spec_.example_trace_host))) {
        job = t;
        break;
      }
    }
    if (!res) {
      doc_.paragraph("No traced host was localized, so there is no example.");
      return;
    }
    std::string text = fmt::format("{} traced from {} by '{}' ({} mode): {}", res->host.address, job->vantage,
                                   job->name, job->mode, res->verdict);
    if (res->injection_ttl) text += fmt::format("; the test SNI drew an answer at TTL {}", *res->injection_ttl);
    if (res->server_ttl) text += fmt::format(", the control at TTL {} (the server)", *res->server_ttl);
    if (res->hops_before_server) text += fmt::format("; {} hops before the server", *res->hops_before_server);
    if (auto b = trace_truth(*job, *res))
      text += fmt::format(". Ground truth: bump {} between {} and {}.", b->name, address_text(b->hop_before),
                          address_text(b->hop_after));
    else
      text += ". Ground truth: no bump hijacked these flows.";
    doc_.paragraph(text + " The 2019 example (facts.md §6) saw injection between hops 4 and 5, 92.47.151.210 and "
                          "95.56.243.92.");
    doc_.preformatted(format_traceroute(*res, job->sni, job->control_sni));
  }

  void forgery() {
    doc_.heading(2, "A forged certificate beside its original");
    for (const ScanJobResult* s : in_order(r_, r_.scans))
      for (const ScanRecord& rec : s->records) {
        if (rec.verdict != Verdict::injected || rec.test_chain.empty() || rec.control_chain.empty()) continue;
        auto forged = x509_from_der(rec.test_chain.front());
        auto original = x509_from_der(rec.control_chain.front());
        if (!forged || !original) continue;
        doc_.paragraph(fmt::format("{} scanned by '{}' from {} with SNI {}: the test probe drew the forged leaf, the "
                                   "control ({}) the server's own. facts.md §3 lists the forging rules.",
                                   rec.address, s->name, s->vantage, rec.sni, sni_label(rec.control_sni)));
        doc_.preformatted(explain_forgery(*original->get(), *forged->get()));
        return;
      }
    doc_.paragraph("No scan record holds both a forged and an original chain.");
  }

  void bumps() {
    doc_.heading(2, "Bumps");
    if (r_.bumps.empty()) {
      doc_.paragraph("This scenario has no bump.");
      return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const BumpResult& b : r_.bumps)
      rows.push_back({b.name, b.a + " - " + b.b, schedule_text(r_, b.schedule), std::to_string(b.counters.flows_seen),
                      std::to_string(b.counters.flows_hijacked), std::to_string(b.counters.flows_passthrough()),
                      std::to_string(b.counters.origin_checks), std::to_string(b.counters.forgeries),
                      std::to_string(b.counters.client_alerts), std::to_string(b.events)});
    doc_.table({"Bump", "Link", "Schedule", "Flows seen", "Hijacked", "Passed through", "Origin checks", "Forgeries",
                "Client alerts", "Events"},
               rows);
  }

  void other_jobs() {
    if (!r_.fetches.empty()) {
      doc_.heading(2, "Fetches through the box");
      std::vector<std::vector<std::string>> rows;
      for (const FetchJobResult* f : in_order(r_, r_.fetches)) {
        std::string issuer(kDash);
        if (!f->chain.empty())
          if (auto leaf = summarize_certificate(f->chain.front())) issuer = leaf->issuer;
        rows.push_back({f->name, f->vantage, fmt::format("https://{}{} ({})", f->sni, f->path,
                                                         f->server_address.to_string()),
                        f->status_line.empty() ? "no response" : f->status_line,
                        fmt::format("{} bytes{}", f->body_bytes, f->body_intact ? ", intact" : ""), issuer,
                        f->verified ? "accepted" : "rejected", f->truth_hijacked ? "yes" : "no",
                        f->error.empty() ? std::string(kDash) : f->error});
      }
      doc_.table({"Job", "Vantage", "URL", "Response", "Body", "Leaf issuer", "Client verification",
                  "Relayed by a bump (truth)", "Error"},
                 rows);
    }
    if (!r_.fingerprints.empty()) {
      doc_.heading(2, "ClientHellos the servers saw");
      std::vector<std::vector<std::string>> rows;
      for (const FingerprintJobResult* p : in_order(r_, r_.fingerprints)) {
        std::map<std::pair<std::string, std::string>, std::size_t> seen;  // (ja3, client address)
        for (const ObservedClientHello& h : p->hellos) ++seen[{h.ja3, h.client.substr(0, h.client.find(':'))}];
        for (const auto& [key, count] : seen)
          rows.push_back({p->name, p->server, key.second, key.first, std::to_string(count)});
        if (seen.empty()) rows.push_back({p->name, p->server, std::string(kDash), std::string(kDash), "0"});
      }
      doc_.table({"Job", "Server", "Client address", "JA3", "ClientHellos"}, rows);
    }
  }

  const RunResults& r_;
  const ReportSpec& spec_;
  TextDocument doc_;
  std::vector<std::pair<std::string, std::string>> plots_;
};

}  // namespace

RunReport build_run_report(const RunResults& results, const ReportSpec& spec) {
  return ReportBuilder(results, spec).build();
}

std::string report_markdown(const RunResults& results, const ReportSpec& spec) {
  return build_run_report(results, spec).markdown;
}

std::string report_html(const RunResults& results, const ReportSpec& spec) {
  return build_run_report(results, spec).html;
}

Status write_run_report(const RunOutput& out, const RunResults& results, const ReportSpec& spec) {
  const RunReport report = build_run_report(results, spec);
  std::error_code ec;
  std::filesystem::create_directories(out.dir() / "plots", ec);
  if (ec) return make_error("cannot create {}: {}", (out.dir() / "plots").string(), ec.message());
  for (const auto& [file, svg] : report.plots)
    if (Status s = out.write_text(file, svg); !s) return s;
  if (Status s = out.write_text("report.md", report.markdown); !s) return s;
  return out.write_text("report.html", report.html);
}

nlohmann::json report_summary_json(const RunResults& results, const ReportSpec& spec) {
  nlohmann::json explanations = nlohmann::json::object();
  for (const ScanJobResult& s : results.scans) explanations[s.name] = explain_scan_score(s, results);
  for (const TraceJobResult& t : results.traces) explanations[t.name] = explain_trace_score(t, results);
  return {{"figures", figures_json(evaluate_figures(results, spec))}, {"explanations", explanations}};
}

}  // namespace mitmlab
