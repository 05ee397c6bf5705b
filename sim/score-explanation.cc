#include "sim/score-explanation.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <tuple>

#include <fmt/core.h>

#include "sim/trace-truth.h"

namespace mitmlab {
namespace {

constexpr std::size_t kExamples = 3;

// Causes in first-seen order, each with its count and a few examples.
class Causes {
 public:
  void add(const std::string& cause, std::string example) {
    auto it = std::find_if(causes_.begin(), causes_.end(), [&](const Entry& e) { return e.cause == cause; });
    if (it == causes_.end()) it = causes_.insert(causes_.end(), Entry{cause, 0, {}});
    ++it->count;
    if (it->examples.size() < kExamples) it->examples.push_back(std::move(example));
  }
  // "<lead>: 2 records: <cause> (e.g. a; b)".
  void write(std::vector<std::string>& out, const std::string& lead, std::string_view unit) const {
    for (const Entry& e : causes_) {
      std::string examples;
      for (const std::string& x : e.examples) examples += (examples.empty() ? "" : "; ") + x;
      out.push_back(fmt::format("{}: {} {}{}: {} (e.g. {}{})", lead, e.count, unit, e.count == 1 ? "" : "s", e.cause,
                                examples, e.count > e.examples.size() ? "; ..." : ""));
    }
  }

 private:
  struct Entry {
    std::string cause;
    std::size_t count;
    std::vector<std::string> examples;
  };
  std::vector<Entry> causes_;
};

std::string ratio(const std::optional<double>& v) { return v ? fmt::format("{:.3f}", *v) : "n/a"; }

const BumpResult* find_bump(const RunResults& run, const std::string& name) {
  for (const BumpResult& b : run.bumps)
    if (b.name == name) return &b;
  return nullptr;
}

// The first time in (from, to] at which the schedule ends an active period.
std::optional<Timestamp> switched_off_between(const Schedule& s, Timestamp from, Timestamp to) {
  if (!s.active) return std::nullopt;
  std::optional<Timestamp> first;
  for (const ScheduleInterval& i : *s.active)
    if (Timestamp end{i.end}; end > from && end <= to && !s.active_at(end) && (!first || end < *first)) first = end;
  return first;
}

// Why the box did not touch a later attempt of a flow it hijacked at `hijacked`: the schedule
// of one of the bumps switched it off before `until`. Returns a sentence detail, or "".
std::string switched_off(const RunResults& run, const std::vector<const HijackedFlow*>& flows, Timestamp until) {
  for (const HijackedFlow* h : flows) {
    const BumpResult* b = find_bump(run, h->bump);
    if (!b) continue;
    if (auto off = switched_off_between(b->schedule, h->time, until))
      return fmt::format("{} hijacked it at {}, switched off at {}", h->bump, run_calendar_time(run, h->time),
                         run_calendar_time(run, *off));
    if (!b->schedule.active_at(until))
      return fmt::format("{} hijacked it at {}, was off at {}", h->bump, run_calendar_time(run, h->time),
                         run_calendar_time(run, until));
  }
  return "";
}

std::string sni_text(const std::string& sni) { return sni.empty() ? "no SNI" : sni; }

std::string address_text(const std::optional<Ipv4Address>& a) { return a ? a->to_string() : "*"; }

}  // namespace

std::string run_calendar_time(const RunResults& run, Timestamp t) {
  using namespace std::chrono;
  return format_utc_time(sys_time<nanoseconds>(seconds(run.start)) + t);
}

std::vector<std::string> explain_scan_score(const ScanJobResult& job, const RunResults& run) {
  const ScanScore& s = job.score;
  std::vector<std::string> out;
  if (!s.precision)
    out.push_back(fmt::format("precision n/a: no record of '{}' was judged injected", job.name));
  if (!s.recall)
    out.push_back(fmt::format("recall n/a: no bump hijacked a flow from {} ({}) during '{}'", job.vantage,
                              job.vantage_address.to_string(), job.name));
  if (s.false_positives == 0 && s.false_negatives == 0) return out;

  using Key = std::tuple<std::string, std::uint16_t, std::string>;
  std::map<Key, std::vector<const HijackedFlow*>> truth;
  for (const HijackedFlow& h : job.hijacks)
    if (h.client == job.vantage_address) truth[{h.server.to_string(), h.server_port, h.sni}].push_back(&h);
  if (truth.empty()) {
    out.push_back(fmt::format("'{}' has {} false-positive and {} false-negative records, but the run recorded no "
                              "hijacked flows for it, so they cannot be told apart here",
                              job.name, s.false_positives, s.false_negatives));
    return out;
  }

  Causes missed, wrong;
  for (std::size_t i = 0; i < job.records.size(); ++i) {
    const ScanRecord& r = job.records[i];
    const auto flows = truth.find({r.address, r.port, r.sni});
    const bool said = r.verdict == Verdict::injected;
    const std::string id = fmt::format("{} {}", r.address, sni_text(r.sni));
    if (said && flows == truth.end()) {
      if (r.attribution)
        wrong.add("the chain named a known interception authority although no bump touched the flow (the server "
                  "itself serves such a chain)",
                  id);
      else
        wrong.add("the test leaf differed from the control's and did not validate, but no bump touched the flow "
                  "(decision row 8)",
                  fmt::format("{}: {}", id, r.reason));
    }
    if (!said && flows != truth.end()) {
      const Timestamp until = i < job.record_times.size() ? job.record_times[i] : job.timing.finished;
      const std::string off = switched_off(run, flows->second, until);
      if (!off.empty())
        missed.add("the box switched off (its schedule) after hijacking an earlier attempt, and the last attempt "
                   "was not intercepted",
                   fmt::format("{}: {}, verdict {}", id, off, verdict_name(r.verdict)));
      else if (r.verdict == Verdict::ok)
        missed.add("an attempt was hijacked but the last attempt drew the original certificate (the box did "
                   "not take over the retry)",
                   fmt::format("{}: {} hijack(s), {} retries", id, flows->second.size(), r.retries));
      else if (r.verdict == Verdict::control_failed)
        missed.add("the control probe failed, so the scan had nothing to compare with (decision row 2)",
                   fmt::format("{}: {}", id, r.reason));
      else
        missed.add(fmt::format("the box hijacked the flow but the test probe ended in {} on its last attempt",
                               verdict_name(r.verdict)),
                   fmt::format("{}: {}", id, r.reason.empty() ? std::string(verdict_name(r.verdict)) : r.reason));
    }
  }
  if (s.false_positives > 0)
    wrong.write(out,
                fmt::format("precision {} ({} of {} 'injected' records were hijacked)", ratio(s.precision),
                            s.true_positives, s.true_positives + s.false_positives),
                "record");
  if (s.false_negatives > 0)
    missed.write(out,
                 fmt::format("recall {} ({} of {} hijacked records were found)", ratio(s.recall), s.true_positives,
                             s.true_positives + s.false_negatives),
                 "record");
  return out;
}

std::vector<std::string> explain_trace_score(const TraceJobResult& job, const RunResults& run) {
  const TraceScore& s = job.score;
  std::vector<std::string> out;
  if (!s.accuracy) {
    out.push_back(fmt::format("accuracy n/a: no host of '{}' was localized and none was truly injected on the "
                              "traced flows",
                              job.name));
    return out;
  }
  if (s.accuracy && *s.accuracy >= 1.0) return out;
  if (job.hijacks.empty() && s.truth_injected > 0) {
    out.push_back(fmt::format("accuracy {} ({} hosts matched): the run recorded no hijacked flows for '{}', so the "
                              "misses cannot be told apart",
                              ratio(s.accuracy), s.matched, job.name));
    return out;
  }
  std::size_t considered = 0;
  for (const TraceResult& r : job.results)
    if (r.verdict == "injected-before-server" || r.verdict == "at-server" || trace_truth(job, r)) ++considered;
  const std::string lead = fmt::format("accuracy {} ({} of {} hosts localized where the box is)", ratio(s.accuracy),
                                       s.matched, considered);
  Causes causes;
  for (std::size_t i = 0; i < job.results.size(); ++i) {
    const TraceResult& r = job.results[i];
    const bool tool = r.verdict == "injected-before-server" || r.verdict == "at-server";
    const std::optional<PathBump> truth = trace_truth(job, r);
    if (!tool && !truth) continue;
    if (tool && truth && truth->hop_before == r.hop_before && truth->hop_after == r.hop_after) continue;
    const std::string& host = r.host.address;
    if (tool && truth) {
      causes.add(r.hop_before && r.hop_after
                     ? "localized at another hop pair than the box's"
                     : "a hop next to the injection did not answer the sweep (shown as *), so the pair is incomplete",
                 fmt::format("{}: measured {} - {}, box {} between {} and {}", host, address_text(r.hop_before),
                             address_text(r.hop_after), truth->name, address_text(truth->hop_before),
                             address_text(truth->hop_after)));
    } else if (tool) {
      causes.add("localized although no bump hijacked its test flows",
                 fmt::format("{}: {} between {} and {}", host, r.verdict, address_text(r.hop_before),
                             address_text(r.hop_after)));
    } else {
      std::vector<const HijackedFlow*> flows;
      for (const HijackedFlow& h : job.hijacks)
        if (h.client == job.vantage_address && h.server.to_string() == host && h.sni == job.sni) flows.push_back(&h);
      const Timestamp until = i < job.result_times.size() ? job.result_times[i] : job.timing.finished;
      const std::string off = switched_off(run, flows, until);
      std::string why = !r.test.error.empty() ? r.test.error : r.control.error;
      if (!off.empty())
        causes.add("the box switched off (its schedule) during the sweep", fmt::format("{}: {}", host, off));
      else
        causes.add(fmt::format("the box hijacked test flows but the localizer said {}", r.verdict),
                   fmt::format("{}{}", host, why.empty() ? "" : ": " + why));
    }
  }
  causes.write(out, lead, "host");
  return out;
}

}  // namespace mitmlab
