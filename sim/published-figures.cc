#include "sim/published-figures.h"

#include <algorithm>

namespace mitmlab {
namespace {

Ipv4Address address(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) { return {a, b, c, d}; }

PublishedFigure figure(std::string id, FigureMeasure measure, std::string description, std::string published,
                       std::string source, std::optional<double> count = {}, std::optional<double> total = {}) {
  PublishedFigure f;
  f.id = std::move(id);
  f.measure = measure;
  f.description = std::move(description);
  f.published = std::move(published);
  f.source = std::move(source);
  f.count = count;
  f.total = total;
  return f;
}

std::vector<PublishedFigure> make_figures() {
  using M = FigureMeasure;
  std::vector<PublishedFigure> all;
  all.push_back(figure("trusted_hosts", M::scan_hosts,
                       "TLS hosts in Kazakhstan presenting a browser-trusted certificate (the scan's population)",
                       "6,736", "facts.md §7", 6736));
  all.push_back(figure("us_intercepted", M::scan_intercepted,
                       "Trusted hosts intercepted when scanned from a US vantage point with SNI facebook.com and "
                       "google.com",
                       "459 of 6,736 (7.0%)", "facts.md §7", 459, 6736));
  all.push_back(figure("kz_intercepted", M::scan_intercepted,
                       "Trusted hosts intercepted when scanned from a VPS inside Kazakhstan", "1,598 of 6,736 (24%)",
                       "facts.md §7", 1598, 6736));
  all.push_back(figure("us_intercepted_after_pause", M::scan_intercepted,
                       "Hosts intercepted from the US vantage after the 9-hour pause of 2019-07-22",
                       "300 of 6,736 (4.4%)", "facts.md §7", 300, 6736));
  all.push_back(figure("kz_intercepted_after_pause", M::scan_intercepted,
                       "Hosts intercepted from the KZ VPS after the 9-hour pause of 2019-07-22",
                       "400 of 6,736 (5.9%)", "facts.md §7", 400, 6736));
  all.push_back(figure("median_intercepted_while_active", M::median_intercepted,
                       "Median number of the 6,736 hosts showing interception while the system was active",
                       "340 of 6,736 (median)", "facts.md §1", 340, 6736));
  all.push_back(figure("atlas_probes_intercepted", M::vantages_intercepted,
                       "RIPE Atlas probes inside Kazakhstan that saw interception", "2 of 52", "facts.md §7", 2, 52));
  all.push_back(figure("vps_own_connections_intercepted", M::vantages_intercepted,
                       "VPSes inside Kazakhstan that saw interception on their own connections", "0 of 2",
                       "facts.md §7", 0, 2));
  all.push_back(figure("swept_injected_before_server", M::trace_before_server,
                       "Of the first hosts swept by the TTL localizer, those showing injection at a hop before the "
                       "server (interception stopped partway through the sweep of 1,598)",
                       "99.5% of 1,212", "facts.md §7", 1206, 1212));
  PublishedFigure hops = figure("hops_before_server_3_or_4", M::trace_hop_counts,
                                "Of the hosts injected before the server, those injected 3 or 4 hops before it",
                                "mostly 3 or 4 hops", "facts.md §7");
  hops.hop_counts = {3, 4};
  all.push_back(hops);
  PublishedFigure pairs = figure("hop_pairs_known", M::trace_hop_pairs,
                                 "Localized hosts whose last hop before injection was 92.47.151.210 or 92.47.150.198 "
                                 "and the hop after 95.56.243.92 or 95.59.170.59 (all AS 9198)",
                                 "95% of cases", "facts.md §6");
  pairs.hops_before = {address(92, 47, 151, 210), address(92, 47, 150, 198)};
  pairs.hops_after = {address(95, 56, 243, 92), address(95, 59, 170, 59)};
  all.push_back(pairs);
  all.push_back(figure("example_injection_hop", M::trace_injection_hop,
                       "The example traceroute: the hop at which injection was first seen",
                       "hop 5 (between 92.47.151.210 and 95.56.243.92)", "facts.md §6", 5));
  all.push_back(figure("targeted_names", M::names_triggered,
                       "Names (SNI values) that triggered interception when tried against hosts known to intercept",
                       "37 of ~10,000", "facts.md §2", 37, 10000));
  return all;
}

}  // namespace

std::string_view figure_measure_name(FigureMeasure m) {
  switch (m) {
    case FigureMeasure::scan_hosts: return "scan_hosts";
    case FigureMeasure::scan_intercepted: return "scan_intercepted";
    case FigureMeasure::vantages_intercepted: return "vantages_intercepted";
    case FigureMeasure::median_intercepted: return "median_intercepted";
    case FigureMeasure::trace_before_server: return "trace_before_server";
    case FigureMeasure::trace_hop_counts: return "trace_hop_counts";
    case FigureMeasure::trace_hop_pairs: return "trace_hop_pairs";
    case FigureMeasure::trace_injection_hop: return "trace_injection_hop";
    case FigureMeasure::names_triggered: return "names_triggered";
  }
  return "unknown";
}

std::string_view figure_measure_job_kind(FigureMeasure m) {
  switch (m) {
    case FigureMeasure::trace_before_server:
    case FigureMeasure::trace_hop_counts:
    case FigureMeasure::trace_hop_pairs:
    case FigureMeasure::trace_injection_hop: return "trace";
    default: return "scan";
  }
}

const std::vector<PublishedFigure>& published_figures() {
  static const std::vector<PublishedFigure> figures = make_figures();
  return figures;
}

const PublishedFigure* find_published_figure(std::string_view id) {
  const auto& all = published_figures();
  auto it = std::find_if(all.begin(), all.end(), [&](const PublishedFigure& f) { return f.id == id; });
  return it == all.end() ? nullptr : &*it;
}

}  // namespace mitmlab
