#include "scanner/ttl-sweep.h"

#include <algorithm>
#include <chrono>

#include "scanner/certificate-summary.h"

namespace mitmlab {

SweepSettings sweep_settings(const LocalizerConfig& config, std::string sni) {
  return {std::move(sni),        config.first_ttl, config.max_ttl,         config.rtt_multiplier,
          config.queries,        config.min_wait,  config.connect_timeout};
}

TtlLadder::TtlLadder(const SweepSettings& settings) : settings_(settings) {
  result.sni = settings_.sni;
}

bool TtlLadder::current_silent() const {
  return current_ && !result.hops.empty() && !result.hops.back().address &&
         !result.hops.back().answered;
}

std::optional<unsigned> TtlLadder::peek_next() const {
  if (current_silent() && tries_ < settings_.queries) return current_;
  unsigned next = current_ ? *current_ + 1 : settings_.first_ttl;
  if (next > settings_.max_ttl) return std::nullopt;
  return next;
}

std::optional<unsigned> TtlLadder::begin_next(Timestamp now) {
  auto next = peek_next();
  if (!next) return std::nullopt;
  if (current_ && *next == *current_) {
    ++tries_;
  } else {
    current_ = *next;
    tries_ = 1;
    result.hops.push_back(TraceHop{*next, std::nullopt, false});
  }
  wait_deadline_ = now + wait();
  return next;
}

Duration TtlLadder::wait() const {
  if (!result.rtt) return settings_.min_wait;
  auto scaled = std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::nano>(
      settings_.rtt_multiplier * static_cast<double>(result.rtt->count())));
  return std::min(std::max(settings_.min_wait, scaled), std::max(settings_.min_wait, kMaxWait));
}

Duration TtlLadder::collect_wait() const {
  return std::max<Duration>(2 * wait(), std::chrono::seconds(3));
}

bool TtlLadder::sent_at(unsigned ttl) const {
  return current_ && ttl >= settings_.first_ttl && ttl <= *current_;
}

TraceHop* TtlLadder::hop(unsigned ttl) {
  for (TraceHop& h : result.hops)
    if (h.ttl == ttl) return &h;
  return nullptr;
}

void TtlLadder::record_hop(unsigned ttl, Ipv4Address from) {
  TraceHop* h = hop(ttl);
  if (h && !h->address && !h->answered) h->address = from;
}

void TtlLadder::record_answer() {
  if (!current_ || result.answer_ttl) return;
  result.answer_ttl = *current_;
  hop(*current_)->answered = true;
}

void TtlLadder::fail(std::string why) {
  if (result.error.empty()) result.error = std::move(why);
}

Result<std::unique_ptr<ChainReader>> ChainReader::create(std::shared_ptr<ProbeContext> context,
                                                         const std::string& sni, Timestamp now) {
  // The probe's own deadline is never checked; make it far enough not to matter in results.
  TlsProbeOptions options{sni, std::chrono::hours(24 * 365), ProbeStop::certificate};
  auto probe = TlsProbe::create(std::move(context), options, now);
  if (!probe) return probe.error();
  (*probe)->on_connected(now);
  Bytes hello = (*probe)->take_output();
  if (hello.empty())
    return make_error("localizer: the TLS probe made no ClientHello for SNI '{}'", sni);
  return std::unique_ptr<ChainReader>(new ChainReader(std::move(*probe), std::move(hello)));
}

bool ChainReader::feed(Timestamp now, ByteView bytes) {
  if (!probe_->done()) {
    probe_->on_bytes(now, bytes);
    probe_->take_output();  // an alert or our next flight: never sent, the sweep is over
  }
  return finished();
}

bool ChainReader::finished() const { return probe_->done() || !probe_->result().chain.empty(); }

void ChainReader::fill(TraceSweep& sweep) const {
  const auto& chain = probe_->result().chain;
  if (chain.empty()) return;
  if (auto leaf = summarize_certificate(chain.front())) {
    sweep.leaf_sha256 = leaf->sha256;
    sweep.issuer = leaf->issuer;
  }
}

}  // namespace mitmlab
