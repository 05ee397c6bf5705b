// The verdict for one (host, test SNI): the control probe's result (no SNI, or a benign
// name), the test probe's, a trust store and a calendar time, both passed in. Retrying a
// failed probe is the scan's job (scanner/scan.h): the results given here are the last
// attempts.
//
// The decision table; the first row that matches decides, and VerdictDetail::row says which.
//   "chain" = the probe received the server's Certificate (whatever happened afterwards);
//   "valid" = the chain validates to the trust store at the time, no hostname check;
//   "same"  = the test leaf's DER equals the control leaf's.
//
//   row | control          | test                                    | verdict
//   ----+------------------+-----------------------------------------+---------------------------
//    1  | anything         | chain names a known interception CA     | injected (attributed)
//    2  | no chain         | anything else                           | control-failed
//    3  | chain            | no chain, reset                         | reset
//    4  | chain            | no chain, timeout                       | timeout
//    5  | chain            | no chain, other (alert, closed, ...)    | tls-failure
//    6  | chain            | same leaf                               | ok (untrusted if not valid)
//    7  | chain            | different leaf, valid                   | ok: a virtual host serving
//       |                  |                                         | another trusted certificate
//    8  | chain, valid     | different leaf, not valid               | injected (unattributed)
//    9  | chain, not valid | different leaf, not valid               | ok, untrusted: the server
//       |                  |                                         | is untrusted either way
//
// Why rows 7 and 9 are not injection: the 2019 box only intercepted servers whose own
// certificate a browser trusts (facts.md §1), and replaced it with one that does not
// validate. A vhost's per-name trusted certificate (row 7) and a self-signed or otherwise
// untrusted server (rows 6 and 9) are the false positives a naive "the chains differ" test
// would report. Row 1 comes first because a chain to a known interception authority is
// evidence on its own (the 2019 authors' own criterion), even when the control failed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "scanner/known-authorities.h"
#include "scanner/tls-probe.h"
#include "net/trust-store.h"

namespace mitmlab {

enum class Verdict { injected, ok, tls_failure, reset, timeout, control_failed };
// "injected", "ok", "tls-failure", "reset", "timeout", "control-failed"
std::string_view verdict_name(Verdict verdict);
std::ostream& operator<<(std::ostream& os, Verdict verdict);

struct VerdictDetail {
  Verdict verdict = Verdict::control_failed;
  int row = 0;  // the decision-table row above
  std::optional<Attribution> attribution;
  bool control_trusted = false;
  bool test_trusted = false;
  bool chains_differ = false;
  bool untrusted = false;  // ok, but the server's certificate does not validate
  std::string reason;      // why the test chain does not validate, or why the probe failed
};

VerdictDetail judge_verdict(const ProbeResult& control, const ProbeResult& test,
                            const TrustStore& trust, std::time_t at);

// What judging learns from one chain on its own: whether it validates, and which known
// interception authority it names.
struct ChainJudgement {
  ChainValidation validation;
  std::optional<Attribution> attribution;
};
ChainJudgement judge_chain(const ProbeResult& probe, const TrustStore& trust, std::time_t at);

// A scan's chain judgements by the SHA-256 of the chain's DER: the same chain, byte for byte,
// against the same store at the same time is judged the same, and hosts often send the same
// chain (the control and the test of an untouched host, a CDN's, an interceptor's), so each
// distinct chain is validated once. Bounded: it starts over once it holds `capacity` chains.
class ChainJudgements {
 public:
  ChainJudgements(std::shared_ptr<const TrustStore> trust, std::time_t at,
                  std::size_t capacity = 4096);
  ChainJudgement judge(const ProbeResult& probe);
  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }

 private:
  std::optional<std::string> digest(const std::vector<Bytes>& chain) const;

  std::shared_ptr<const TrustStore> trust_;
  std::time_t at_;
  std::size_t capacity_;
  OpenSslPtr<EVP_MD, EVP_MD_free> sha256_;  // fetched once: an implicit fetch per digest costs more than the hashing
  std::map<std::string, ChainJudgement> by_digest_;  // raw digest bytes as the key
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

// The same verdict, with the chains judged through `chains`.
VerdictDetail judge_verdict(const ProbeResult& control, const ProbeResult& test,
                            ChainJudgements& chains);

}  // namespace mitmlab
