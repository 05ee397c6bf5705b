#include "sim/report-spec.h"

#include <algorithm>
#include <initializer_list>

#include "sim/published-figures.h"
#include "sim/scenario.h"

namespace mitmlab {
namespace {

using json = nlohmann::json;

Error fault(std::string_view source, const std::string& where, std::string_view what) {
  return make_error("scenario {}: {} at /report{}", source, what, where);
}

std::string type_of(const json& v) { return v.type_name(); }

// Spelled here rather than with job_kind_name() so this file does not need the scenario parser.
std::string_view kind_word(JobKind kind) {
  switch (kind) {
    case JobKind::scan: return "scan";
    case JobKind::trace: return "trace";
    case JobKind::fetch: return "fetch";
    case JobKind::fingerprint: return "fingerprint";
  }
  return "unknown";
}

// Returns the first key of `v` not in `allowed`, or "".
std::string unknown_key(const json& v, std::initializer_list<std::string_view> allowed) {
  for (const auto& item : v.items())
    if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end()) return item.key();
  return "";
}

std::string known_figures() {
  std::string list;
  for (const PublishedFigure& f : published_figures()) list += (list.empty() ? "" : ", ") + f.id;
  return list;
}

// "/" and "~" in an object key, escaped for a JSON pointer.
std::string pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return out;
}

Result<std::string> string_at(const json& v, std::string_view source, const std::string& where) {
  if (!v.is_string()) return fault(source, where, fmt::format("expected a string, got {}", type_of(v)));
  return v.get<std::string>();
}

Result<FigureBinding> binding(const std::string& id, const json& v, std::string_view source,
                              const std::string& where) {
  if (!find_published_figure(id))
    return fault(source, where, fmt::format("unknown figure '{}' (known: {})", id, known_figures()));
  if (!v.is_object()) return fault(source, where, fmt::format("expected an object, got {}", type_of(v)));
  if (std::string k = unknown_key(v, {"job", "jobs", "note"}); !k.empty())
    return fault(source, where, fmt::format("unknown key '{}' (expected job, jobs, note)", k));
  if (v.contains("job") == v.contains("jobs"))
    return fault(source, where, "expected exactly one of \"job\" (a name) and \"jobs\" (a list of names)");
  FigureBinding b;
  b.figure = id;
  if (v.contains("job")) {
    auto name = string_at(v.at("job"), source, where + "/job");
    if (!name) return name.error();
    b.jobs.push_back(*name);
  } else {
    const json& list = v.at("jobs");
    if (!list.is_array() || list.empty())
      return fault(source, where + "/jobs", fmt::format("expected a non-empty list of job names, got {}",
                                                        list.is_array() ? "an empty list" : type_of(list)));
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto name = string_at(list[i], source, fmt::format("{}/jobs/{}", where, i));
      if (!name) return name.error();
      b.jobs.push_back(*name);
    }
  }
  if (v.contains("note")) {
    auto note = string_at(v.at("note"), source, where + "/note");
    if (!note) return note.error();
    b.note = *note;
  }
  return b;
}

}  // namespace

Result<ReportSpec> parse_report_spec(const json& report, std::string_view source) {
  if (!report.is_object()) return fault(source, "", fmt::format("expected an object, got {}", type_of(report)));
  if (std::string k = unknown_key(report, {"title", "figures", "example_trace", "top_hop_pairs"}); !k.empty())
    return fault(source, "", fmt::format("unknown key '{}' (expected title, figures, example_trace, top_hop_pairs)", k));
  ReportSpec spec;
  if (report.contains("title")) {
    auto title = string_at(report.at("title"), source, "/title");
    if (!title) return title.error();
    spec.title = *title;
  }
  if (report.contains("figures")) {
    const json& figures = report.at("figures");
    if (!figures.is_object())
      return fault(source, "/figures", fmt::format("expected an object of figure id -> binding, got {}",
                                                   type_of(figures)));
    for (const auto& item : figures.items()) {  // nlohmann objects iterate in key order
      auto b = binding(item.key(), item.value(), source, "/figures/" + pointer_token(item.key()));
      if (!b) return b.error();
      spec.figures.push_back(std::move(*b));
    }
  }
  if (report.contains("example_trace")) {
    const json& ex = report.at("example_trace");
    if (!ex.is_object())
      return fault(source, "/example_trace", fmt::format("expected an object, got {}", type_of(ex)));
    if (std::string k = unknown_key(ex, {"job", "host"}); !k.empty())
      return fault(source, "/example_trace", fmt::format("unknown key '{}' (expected job, host)", k));
    if (ex.contains("job")) {
      auto job = string_at(ex.at("job"), source, "/example_trace/job");
      if (!job) return job.error();
      spec.example_trace_job = *job;
    }
    if (ex.contains("host")) {
      auto host = string_at(ex.at("host"), source, "/example_trace/host");
      if (!host) return host.error();
      if (auto parsed = Ipv4Address::parse(*host); !parsed)
        return fault(source, "/example_trace/host", fmt::format("expected a dotted-quad address, got '{}'", *host));
      spec.example_trace_host = *host;
    }
  }
  if (report.contains("top_hop_pairs")) {
    const json& n = report.at("top_hop_pairs");
    if (!n.is_number_integer() || n.get<std::int64_t>() < 1 || n.get<std::int64_t>() > 100)
      return fault(source, "/top_hop_pairs", fmt::format("expected an integer 1..100, got {}", n.dump()));
    spec.top_hop_pairs = n.get<std::size_t>();
  }
  return spec;
}

Status check_report_spec(const ReportSpec& spec, const std::vector<ScenarioJob>& jobs, std::string_view source) {
  auto find = [&](const std::string& name) {
    return std::find_if(jobs.begin(), jobs.end(), [&](const ScenarioJob& j) { return j.name == name; });
  };
  for (const FigureBinding& b : spec.figures) {
    const PublishedFigure* f = find_published_figure(b.figure);
    if (!f) return fault(source, "/figures/" + pointer_token(b.figure), fmt::format("unknown figure '{}'", b.figure));
    const std::string_view kind = figure_measure_job_kind(f->measure);
    for (const std::string& name : b.jobs) {
      auto job = find(name);
      if (job == jobs.end())
        return fault(source, "/figures/" + pointer_token(b.figure), fmt::format("no job named '{}'", name));
      if (kind_word(job->kind) != kind)
        return fault(source, "/figures/" + pointer_token(b.figure),
                     fmt::format("figure '{}' is measured by a {} job; '{}' is a {} job", b.figure, kind, name,
                                 kind_word(job->kind)));
    }
  }
  if (!spec.example_trace_job.empty()) {
    auto job = find(spec.example_trace_job);
    if (job == jobs.end() || job->kind != JobKind::trace)
      return fault(source, "/example_trace/job", fmt::format("no trace job named '{}'", spec.example_trace_job));
  }
  return Ok{};
}

json to_json(const ReportSpec& spec) {
  json figures = json::object();
  for (const FigureBinding& b : spec.figures) {
    json j = b.jobs.size() == 1 ? json{{"job", b.jobs.front()}} : json{{"jobs", b.jobs}};
    if (!b.note.empty()) j["note"] = b.note;
    figures[b.figure] = std::move(j);
  }
  json out = {{"figures", figures}, {"top_hop_pairs", spec.top_hop_pairs}};
  if (!spec.title.empty()) out["title"] = spec.title;
  json example = json::object();
  if (!spec.example_trace_job.empty()) example["job"] = spec.example_trace_job;
  if (!spec.example_trace_host.empty()) example["host"] = spec.example_trace_host;
  if (!example.empty()) out["example_trace"] = example;
  return out;
}

}  // namespace mitmlab
