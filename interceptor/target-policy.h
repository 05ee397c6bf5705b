// Which flows the box intercepts: the part of the decision that needs only the 4-tuple,
// the SNI and the time. The origin's certificate (facts §1, condition 3) is judged later
// by the engine, and only for flows this policy selects.
//
// Checks, in this order; a passthrough names the first that failed:
//   1. port          the server port is one of `ports`
//   2. schedule_off  the box is switched on at `now`
//   3. no_sni        the ClientHello carries a server_name
//   4. not_target    the SNI names a target (exact or suffix, case-insensitive)
//   5. not_sampled   the keyed hash of the 4-tuple falls below `sample_fraction`
// The order goes from what the box knows first (the SYN's port, its own clock) to what it
// knows last, so the reason says where a real box would have stopped looking; and sampling
// comes last so that `sample_fraction` is the share of *target* flows intercepted.
//
// SNI normalisation: ASCII letters are compared case-insensitively (DNS names are
// case-insensitive, RFC 4343; SNI carries A-labels, so ASCII is enough) and one trailing
// dot is removed ("google.com." is the fully-qualified spelling of "google.com"). Nothing
// else is rewritten: "google.com.." or " google.com" match nothing.
//
// Sampling: u = SipHash-2-4(k, client_addr ‖ client_port ‖ server_addr ‖ server_port), the
// fields big-endian (12 bytes), k = the first 16 bytes of SHA-256(sample_key); the top 53
// bits of u scaled to [0, 1) are compared with the fraction: sampled iff u < fraction. The
// same key gives the same decision for a 4-tuple on every platform and in every run, and
// fraction 1 samples everything, fraction 0 nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "interceptor/engine-config.h"
#include "interceptor/flow-key.h"
#include "interceptor/pass-reason.h"
#include "interceptor/siphash.h"
#include "net/clock.h"

namespace mitmlab {

struct PolicyDecision {
  bool intercept = false;
  PassReason reason = PassReason::kNotTarget;  // meaningful only when !intercept

  static constexpr PolicyDecision intercept_flow() { return {true, PassReason::kNotTarget}; }
  static constexpr PolicyDecision pass(PassReason why) { return {false, why}; }

  friend bool operator==(const PolicyDecision& a, const PolicyDecision& b) {
    return a.intercept == b.intercept && (a.intercept || a.reason == b.reason);
  }
};

// "intercept", or the reason's name ("not_target", ...).
std::string_view decision_name(const PolicyDecision& decision);

// Lower-cases ASCII letters and removes one trailing dot.
std::string normalize_sni(std::string_view sni);

class TargetPolicy {
 public:
  explicit TargetPolicy(const EngineConfig& config);

  PolicyDecision decide(const FlowKey& flow, std::optional<std::string_view> sni, Timestamp now) const;

  // The individual checks, for tests and for an engine that wants one answer early
  // (e.g. the port at SYN time).
  bool port_selected(std::uint16_t server_port) const;
  bool active_at(Timestamp now) const { return schedule_.active_at(now); }
  bool is_target(std::string_view sni) const;
  // The flow's position in [0, 1) under the sampling key; sampled iff below the fraction.
  double sample_point(const FlowKey& flow) const;
  bool sampled(const FlowKey& flow) const { return sample_point(flow) < sample_fraction_; }

 private:
  std::unordered_set<std::string> targets_;
  MatchMode match_;
  std::vector<std::uint16_t> ports_;  // sorted
  Schedule schedule_;
  double sample_fraction_;
  SipHashKey sample_key_;
};

}  // namespace mitmlab
