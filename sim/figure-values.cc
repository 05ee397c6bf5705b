#include "sim/figure-values.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/core.h>

#include "sim/trace-truth.h"

namespace mitmlab {
namespace {

using json = nlohmann::json;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

bool in(const std::vector<Ipv4Address>& set, const std::optional<Ipv4Address>& a) {
  return a && std::find(set.begin(), set.end(), *a) != set.end();
}

std::string between(const std::optional<Ipv4Address>& before, const std::optional<Ipv4Address>& after) {
  return fmt::format("between {} and {}", before ? before->to_string() : "?", after ? after->to_string() : "?");
}

// The jobs a binding names, or the name of the first one the run has no results for.
template <typename Job>
std::vector<const Job*> bound(const std::vector<Job>& all, const std::vector<std::string>& names,
                              std::string& missing) {
  std::vector<const Job*> out;
  for (const std::string& name : names) {
    auto it = std::find_if(all.begin(), all.end(), [&](const Job& j) { return j.name == name; });
    if (it == all.end()) {
      missing = fmt::format("job '{}' has no results in this run", name);
      return {};
    }
    out.push_back(&*it);
  }
  return out;
}

void scan_figure(const PublishedFigure& f, const std::vector<const ScanJobResult*>& jobs, FigureRow& row) {
  FigureValue m, t;
  switch (f.measure) {
    case FigureMeasure::scan_hosts: {
      // Hosts the scan itself found presenting a trusted certificate (ok and valid, or
      // injected: the box only forges for trusted servers), of the hosts it scanned.
      std::set<std::pair<std::string, std::string>> trusted;
      double hosts = 0;
      for (const ScanJobResult* j : jobs) {
        hosts += static_cast<double>(j->score.hosts);
        for (const ScanRecord& r : j->records)
          if (r.verdict == Verdict::injected || (r.verdict == Verdict::ok && !r.untrusted))
            trusted.insert({j->name, r.address});
      }
      m = {static_cast<double>(trusted.size()), hosts, "judged trusted by the scan"};
      row.measured = m;
      row.truth_note = "the servers' certificate kinds are in the scenario, not in the run results";
      return;
    }
    case FigureMeasure::scan_intercepted:
      for (const ScanJobResult* j : jobs) {
        m.count += static_cast<double>(j->score.intercepted);
        t.count += static_cast<double>(j->score.truth_intercepted);
        m.total = m.total.value_or(0) + static_cast<double>(j->score.hosts);
      }
      t.total = m.total;
      break;
    case FigureMeasure::vantages_intercepted:
      for (const ScanJobResult* j : jobs) {
        m.count += j->score.intercepted > 0 ? 1 : 0;
        t.count += j->score.truth_intercepted > 0 ? 1 : 0;
      }
      m.total = t.total = static_cast<double>(jobs.size());
      m.detail = t.detail = "scan jobs";
      break;
    case FigureMeasure::median_intercepted: {
      std::vector<double> said, is, hosts;
      for (const ScanJobResult* j : jobs) {
        said.push_back(static_cast<double>(j->score.intercepted));
        is.push_back(static_cast<double>(j->score.truth_intercepted));
        hosts.push_back(static_cast<double>(j->score.hosts));
      }
      m = {median(said), median(hosts), fmt::format("median of {} scans", jobs.size())};
      t = {median(is), median(hosts), m.detail};
      break;
    }
    case FigureMeasure::names_triggered: {
      std::set<std::string> tried, said, is;
      for (const ScanJobResult* j : jobs) {
        tried.insert(j->snis.begin(), j->snis.end());
        for (const ScanRecord& r : j->records)
          if (r.verdict == Verdict::injected) said.insert(r.sni);
        for (const HijackedFlow& h : j->hijacks)
          if (h.client == j->vantage_address) is.insert(h.sni);
      }
      m = {static_cast<double>(said.size()), static_cast<double>(tried.size()), "SNI values"};
      t = {static_cast<double>(is.size()), m.total, m.detail};
      if (!is.empty() || std::all_of(jobs.begin(), jobs.end(), [](auto* j) { return j->score.truth_intercepted == 0; }))
        row.truth = t;
      else
        row.truth_note = "the run recorded no hijacked flows for these jobs";
      row.measured = m;
      return;
    }
    default: return;
  }
  row.measured = m;
  row.truth = t;
}

void trace_figure(const PublishedFigure& f, const std::vector<const TraceJobResult*>& jobs,
                  const ReportSpec& spec, FigureRow& row) {
  FigureValue m, t;
  bool truth_known = true;  // per-host truth needs the hijacks
  for (const TraceJobResult* j : jobs)
    if (j->hijacks.empty() && j->score.truth_injected > 0) truth_known = false;
  switch (f.measure) {
    case FigureMeasure::trace_before_server:
      for (const TraceJobResult* j : jobs) {
        m.count += static_cast<double>(j->score.before_server);
        t.count += static_cast<double>(j->score.truth_injected);
        m.total = m.total.value_or(0) + static_cast<double>(j->score.hosts);
      }
      t.total = m.total;
      row.measured = m;
      row.truth = t;  // every bump sits between two routers: truly injected is before the server
      return;
    case FigureMeasure::trace_hop_counts: {
      std::map<unsigned, std::size_t> said, is;
      m.total = t.total = 0;
      for (const TraceJobResult* j : jobs) {
        for (const auto& [hops, n] : j->score.hops_before_server) said[hops] += n;
        *m.total += static_cast<double>(j->score.before_server);
        for (const TraceResult& r : j->results)
          if (auto truth = trace_truth(*j, r)) {
            ++is[truth_hops_before_server(*j, r, *truth)];
            *t.total += 1;
          }
      }
      for (unsigned h : f.hop_counts) {
        m.count += static_cast<double>(said[h]);
        t.count += static_cast<double>(is[h]);
      }
      m.detail = hop_count_mode(said);
      t.detail = hop_count_mode(is);
      break;
    }
    case FigureMeasure::trace_hop_pairs:
      m.total = t.total = 0;
      for (const TraceJobResult* j : jobs)
        for (const TraceResult& r : j->results) {
          if (r.verdict == "injected-before-server" || r.verdict == "at-server") {
            *m.total += 1;
            if (in(f.hops_before, r.hop_before) && in(f.hops_after, r.hop_after)) m.count += 1;
          }
          if (auto truth = trace_truth(*j, r)) {
            *t.total += 1;
            if (in(f.hops_before, truth->hop_before) && in(f.hops_after, truth->hop_after)) t.count += 1;
          }
        }
      break;
    case FigureMeasure::trace_injection_hop: {
      const TraceJobResult* job = nullptr;
      const TraceResult* r = nullptr;
      for (const TraceJobResult* j : jobs) {
        r = example_trace_host(*j, spec.example_trace_host);
        job = j;
        if (r) break;
      }
      if (!r || !r->injection_ttl) {
        row.missing = "no traced host was localized";
        return;
      }
      m = {static_cast<double>(*r->injection_ttl), std::nullopt,
           fmt::format("{}, {}", r->host.address, between(r->hop_before, r->hop_after))};
      row.measured = m;
      if (auto truth = trace_truth(*job, *r))
        row.truth = FigureValue{static_cast<double>(truth->hops_before + 1), std::nullopt,
                                between(truth->hop_before, truth->hop_after)};
      else if (truth_known)
        row.truth_note = fmt::format("no bump hijacked the traced flows to {}", r->host.address);
      else
        row.truth_note = "the run recorded no hijacked flows for this job";
      return;
    }
    default: return;
  }
  row.measured = m;
  if (truth_known)
    row.truth = t;
  else
    row.truth_note = "the run recorded no hijacked flows for these jobs";
}

json value_json(const std::optional<FigureValue>& v) {
  if (!v) return nullptr;
  json j = {{"count", v->count}, {"text", format_figure_value(*v)}};
  j["total"] = v->total ? json(*v->total) : json();
  j["share"] = v->total && *v->total > 0 ? json(v->count / *v->total) : json();
  if (!v->detail.empty()) j["detail"] = v->detail;
  return j;
}

}  // namespace

std::string format_count(double value) {
  const double rounded = std::round(value);
  const bool whole = std::abs(value - rounded) < 1e-9;
  std::string digits = fmt::format("{:.0f}", std::abs(whole ? rounded : std::trunc(value)));
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  if (!whole) out += fmt::format("{:.1f}", std::abs(value - std::trunc(value))).substr(1);
  return (value < 0 ? "-" : "") + out;
}

std::string format_figure_value(const FigureValue& v) {
  std::string out = format_count(v.count);
  if (v.total) {
    out += " of " + format_count(*v.total);
    if (*v.total > 0) out += fmt::format(" ({:.1f}%)", 100.0 * v.count / *v.total);
  }
  if (!v.detail.empty()) out += (v.total ? "; " : " (") + v.detail + (v.total ? "" : ")");
  return out;
}

std::vector<FigureRow> evaluate_figures(const RunResults& results, const ReportSpec& spec) {
  std::vector<FigureRow> rows;
  for (const PublishedFigure& f : published_figures()) {
    FigureRow row;
    row.figure = &f;
    auto b = std::find_if(spec.figures.begin(), spec.figures.end(),
                          [&](const FigureBinding& x) { return x.figure == f.id; });
    if (b == spec.figures.end()) {
      row.missing = "not measured by this scenario";
      rows.push_back(std::move(row));
      continue;
    }
    row.jobs = b->jobs;
    row.note = b->note;
    if (figure_measure_job_kind(f.measure) == "trace") {
      auto jobs = bound(results.traces, b->jobs, row.missing);
      if (!jobs.empty()) trace_figure(f, jobs, spec, row);
    } else {
      auto jobs = bound(results.scans, b->jobs, row.missing);
      if (!jobs.empty()) scan_figure(f, jobs, row);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

json figures_json(const std::vector<FigureRow>& rows) {
  json out = json::array();
  for (const FigureRow& r : rows) {
    json j = {{"id", r.figure->id},
              {"description", r.figure->description},
              {"source", r.figure->source},
              {"published", r.figure->published},
              {"measure", figure_measure_name(r.figure->measure)},
              {"jobs", r.jobs},
              {"measured", value_json(r.measured)},
              {"truth", value_json(r.truth)}};
    if (!r.note.empty()) j["note"] = r.note;
    if (!r.missing.empty()) j["missing"] = r.missing;
    if (!r.truth_note.empty()) j["truth_note"] = r.truth_note;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace mitmlab
