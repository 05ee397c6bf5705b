// The verdict table of scanner/scan-verdict.h, every row, with the guards against false
// positives (virtual hosts, self-signed servers) and the calendar time passed in.
#define BOOST_TEST_MODULE scan_verdict
#include "scanner/scan-verdict.h"

#include <boost/test/unit_test.hpp>

#include "tests/support/lookalike-forgery.h"
#include "tests/support/throwaway-pki.h"

using namespace mitmlab;
using namespace mitmlab::test;

namespace {

ThrowawayCert self_signed(const std::string& name) {
  ThrowawayCertSpec spec;
  spec.common_name = name;
  return make_self_signed(spec);
}

struct World {
  ThrowawayChain bank = make_throwaway_chain("bank.kz", "Bank");
  ThrowawayChain social = make_throwaway_chain("facebook.com", "Social");
  ThrowawayChain unknown = make_throwaway_chain("bank.kz", "Unknown");  // root not trusted
  ThrowawayCert self_a = self_signed("router.local");
  ThrowawayCert self_b = self_signed("other.local");
  std::shared_ptr<const TrustStore> trust;
  std::time_t at = utc_time(2019, 7, 20);
  World() {
    auto t = TrustStore::from_roots({bank.root.cert.get(), social.root.cert.get()});
    BOOST_TEST_REQUIRE(t.ok());
    trust = *t;
  }
};
const World& world() {
  static const World w;
  return w;
}

ProbeResult with_chain(std::vector<Bytes> chain) {
  ProbeResult r;
  r.outcome = ProbeOutcome::ok;
  r.chain = std::move(chain);
  return r;
}
ProbeResult failed(ProbeOutcome outcome) {
  ProbeResult r;
  r.outcome = outcome;
  r.error = "scripted";
  return r;
}
std::vector<Bytes> chain_of(const ThrowawayChain& c) {
  return der_list({c.leaf.cert.get(), c.intermediate.cert.get()});
}

VerdictDetail judge(const ProbeResult& control, const ProbeResult& test,
                    std::time_t at = world().at) {
  return judge_verdict(control, test, *world().trust, at);
}

}  // namespace

BOOST_AUTO_TEST_CASE(row1_known_authority_is_injected_even_without_a_control) {
  const World& w = world();
  auto forged = lookalike_forgery(*w.bank.leaf.cert);
  ProbeResult test = with_chain({forged->leaf_der, forged->intermediate_der});
  auto d = judge(with_chain(chain_of(w.bank)), test);
  BOOST_TEST(d.row == 1);
  BOOST_TEST(d.verdict == Verdict::injected);
  BOOST_TEST_REQUIRE(d.attribution.has_value());
  BOOST_TEST(d.attribution->label == "qaznet-2019 (mitmlab look-alike)");
  BOOST_TEST(!d.test_trusted);
  BOOST_TEST(d.control_trusted);

  auto no_control = judge(failed(ProbeOutcome::timeout), test);
  BOOST_TEST(no_control.row == 1);
  BOOST_TEST(no_control.verdict == Verdict::injected);
}

BOOST_AUTO_TEST_CASE(row2_control_without_a_chain) {
  auto d = judge(failed(ProbeOutcome::reset), with_chain(chain_of(world().bank)));
  BOOST_TEST(d.row == 2);
  BOOST_TEST(d.verdict == Verdict::control_failed);
  BOOST_TEST(d.reason.find("reset") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rows3_to_5_test_without_a_chain) {
  ProbeResult control = with_chain(chain_of(world().bank));
  auto reset = judge(control, failed(ProbeOutcome::reset));
  BOOST_TEST(reset.row == 3);
  BOOST_TEST(reset.verdict == Verdict::reset);
  auto timeout = judge(control, failed(ProbeOutcome::timeout));
  BOOST_TEST(timeout.row == 4);
  BOOST_TEST(timeout.verdict == Verdict::timeout);
  for (ProbeOutcome o : {ProbeOutcome::alert, ProbeOutcome::closed, ProbeOutcome::handshake_failure,
                         ProbeOutcome::connect_failed}) {
    auto d = judge(control, failed(o));
    BOOST_TEST(d.row == 5, probe_outcome_name(o));
    BOOST_TEST(d.verdict == Verdict::tls_failure, probe_outcome_name(o));
  }
}

BOOST_AUTO_TEST_CASE(row6_same_leaf_is_ok_trusted_or_not) {
  const World& w = world();
  auto trusted = judge(with_chain(chain_of(w.bank)), with_chain(chain_of(w.bank)));
  BOOST_TEST(trusted.row == 6);
  BOOST_TEST(trusted.verdict == Verdict::ok);
  BOOST_TEST(!trusted.untrusted);
  BOOST_TEST(!trusted.chains_differ);

  // Self-signed server: both fail validation and agree: ok, untrusted, not injected.
  auto self = der_list({w.self_a.cert.get()});
  auto untrusted = judge(with_chain(self), with_chain(self));
  BOOST_TEST(untrusted.row == 6);
  BOOST_TEST(untrusted.verdict == Verdict::ok);
  BOOST_TEST(untrusted.untrusted);
  BOOST_TEST(untrusted.reason == "self-signed certificate");
}

BOOST_AUTO_TEST_CASE(row7_virtual_host_with_another_trusted_certificate_is_ok) {
  const World& w = world();
  auto d = judge(with_chain(chain_of(w.bank)), with_chain(chain_of(w.social)));
  BOOST_TEST(d.row == 7);
  BOOST_TEST(d.verdict == Verdict::ok);
  BOOST_TEST(d.chains_differ);
  BOOST_TEST(d.test_trusted);
}

BOOST_AUTO_TEST_CASE(row8_unknown_untrusted_replacement_of_a_trusted_chain_is_injected) {
  const World& w = world();
  auto d = judge(with_chain(chain_of(w.bank)), with_chain(chain_of(w.unknown)));
  BOOST_TEST(d.row == 8);
  BOOST_TEST(d.verdict == Verdict::injected);
  BOOST_TEST(!d.attribution.has_value());
  BOOST_TEST(d.reason == "unable to get local issuer certificate");
}

BOOST_AUTO_TEST_CASE(row9_untrusted_either_way_is_ok_untrusted) {
  const World& w = world();
  auto d = judge(with_chain(der_list({w.self_a.cert.get()})),
                 with_chain(der_list({w.self_b.cert.get()})));
  BOOST_TEST(d.row == 9);
  BOOST_TEST(d.verdict == Verdict::ok);
  BOOST_TEST(d.untrusted);
  BOOST_TEST(d.chains_differ);
}

BOOST_AUTO_TEST_CASE(validation_uses_the_time_passed_in) {
  // The throwaway chains expire on 2049-01-01: the vhost case (row 7) at 2019 becomes
  // "untrusted either way" (row 9) at 2050, and an unknown replacement is no longer
  // injection because the control no longer validates.
  const World& w = world();
  auto later = utc_time(2050, 1, 1);
  BOOST_TEST(judge(with_chain(chain_of(w.bank)), with_chain(chain_of(w.social)), later).row == 9);
  BOOST_TEST(judge(with_chain(chain_of(w.bank)), with_chain(chain_of(w.unknown)), later).row == 9);
  auto before = utc_time(2018, 6, 1);  // before notBefore (2019-01-01)
  BOOST_TEST(judge(with_chain(chain_of(w.bank)), with_chain(chain_of(w.unknown)), before).row == 9);
}

BOOST_AUTO_TEST_CASE(verdict_names) {
  BOOST_TEST(verdict_name(Verdict::injected) == "injected");
  BOOST_TEST(verdict_name(Verdict::tls_failure) == "tls-failure");
  BOOST_TEST(verdict_name(Verdict::control_failed) == "control-failed");
}

// The scan judges chains through ChainJudgements (each distinct chain validated once): it must
// decide exactly as the uncached judge, whatever its capacity, and reuse what it has seen.
BOOST_AUTO_TEST_CASE(cached_chain_judgements_decide_as_the_uncached_judge) {
  const World& w = world();
  auto forged = lookalike_forgery(*w.bank.leaf.cert);
  const std::vector<std::pair<ProbeResult, ProbeResult>> cases = {
      {with_chain(chain_of(w.bank)), with_chain({forged->leaf_der, forged->intermediate_der})},
      {failed(ProbeOutcome::reset), with_chain(chain_of(w.bank))},
      {with_chain(chain_of(w.bank)), failed(ProbeOutcome::timeout)},
      {with_chain(chain_of(w.bank)), with_chain(chain_of(w.bank))},
      {with_chain(chain_of(w.bank)), with_chain(chain_of(w.social))},
      {with_chain(chain_of(w.bank)), with_chain(chain_of(w.unknown))},
      {with_chain(der_list({w.self_a.cert.get()})), with_chain(der_list({w.self_b.cert.get()}))},
      {with_chain(chain_of(w.bank)), with_chain({Bytes{0x30, 0x03, 0x02, 0x01}})},  // garbled
  };
  for (std::size_t capacity : {std::size_t{1}, std::size_t{4096}}) {
    ChainJudgements chains(w.trust, w.at, capacity);
    for (int round = 0; round < 2; ++round)
      for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto& [control, test] = cases[i];
        VerdictDetail want = judge(control, test);
        VerdictDetail got = judge_verdict(control, test, chains);
        const std::string what = "case " + std::to_string(i) + " capacity " +
                                 std::to_string(capacity) + " round " + std::to_string(round);
        BOOST_TEST(got.row == want.row, what);
        BOOST_TEST(got.verdict == want.verdict, what);
        BOOST_TEST(got.reason == want.reason, what);
        BOOST_TEST(got.control_trusted == want.control_trusted, what);
        BOOST_TEST(got.test_trusted == want.test_trusted, what);
        BOOST_TEST(got.untrusted == want.untrusted, what);
        BOOST_TEST(got.attribution.has_value() == want.attribution.has_value(), what);
        if (got.attribution && want.attribution)
          BOOST_TEST(got.attribution->label == want.attribution->label, what);
      }
    if (capacity > 1) {
      // Seven distinct chains; everything else (the second round, the repeated bank chain) is
      // a hit.
      BOOST_TEST(chains.misses() == 7u);
      BOOST_TEST(chains.hits() > chains.misses());
    }
  }
  // The garbled chain keeps OpenSSL's reason for not reading it.
  auto garbled = judge(with_chain(chain_of(w.bank)), with_chain({Bytes{0x30, 0x03, 0x02, 0x01}}));
  BOOST_TEST(garbled.reason.find("certificate 0 unreadable: ") == 0u, garbled.reason);
}
