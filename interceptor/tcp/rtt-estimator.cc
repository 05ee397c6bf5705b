#include "interceptor/tcp/rtt-estimator.h"

#include <algorithm>
#include <chrono>

namespace mitmlab {

namespace {
// Clock granularity G of RFC 6298: our RTT samples come from 1 ms timestamp ticks.
constexpr Duration kGranularity = std::chrono::milliseconds(1);
}  // namespace

RttEstimator::RttEstimator(Limits limits) : limits_(limits), rto_(clamp(limits.initial)) {}

Duration RttEstimator::clamp(Duration d) const { return std::clamp(d, limits_.min, limits_.max); }

void RttEstimator::on_sample(Duration rtt) {
  if (rtt < Duration::zero()) return;
  if (!srtt_) {
    srtt_ = rtt;
    rttvar_ = rtt / 2;
  } else {
    // alpha = 1/8, beta = 1/4; RTTVAR is updated with the old SRTT, as the RFC orders.
    Duration err = *srtt_ > rtt ? *srtt_ - rtt : rtt - *srtt_;
    rttvar_ = rttvar_ - rttvar_ / 4 + err / 4;
    *srtt_ = *srtt_ - *srtt_ / 8 + rtt / 8;
  }
  rto_ = clamp(*srtt_ + std::max(kGranularity, 4 * rttvar_));
}

void RttEstimator::back_off() { rto_ = std::min(rto_ * 2, limits_.max); }

}  // namespace mitmlab
