// Round-trip time and retransmission timeout (RFC 6298), with a configurable floor: ns-3 and
// RFC 6298 use 1 s, Linux 200 ms. Exponential backoff doubles the timeout up to a ceiling.
#pragma once

#include <optional>

#include "net/clock.h"

namespace mitmlab {

class RttEstimator {
 public:
  struct Limits {
    Duration initial;  // before any sample (RFC 6298 2.1: 1 s)
    Duration min;      // floor on the computed timeout
    Duration max;      // ceiling, also for backoff
  };
  explicit RttEstimator(Limits limits);

  // A measured round trip. Resets any backoff (RFC 6298 5.7: a new sample recomputes the RTO).
  void on_sample(Duration rtt);
  // A retransmission timer expired: double the timeout, capped (RFC 6298 5.5).
  void back_off();

  Duration rto() const { return rto_; }
  std::optional<Duration> srtt() const { return srtt_; }
  Duration rttvar() const { return rttvar_; }

 private:
  Duration clamp(Duration d) const;

  Limits limits_;
  std::optional<Duration> srtt_;
  Duration rttvar_{};
  Duration rto_;
};

}  // namespace mitmlab
