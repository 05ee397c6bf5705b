#define BOOST_TEST_MODULE origin_certificate_judge
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include "interceptor/tls/origin-certificate-judge.h"
#include "interceptor/tls/origin-client.h"
#include "tests/support/openssl-test-peer.h"
#include "tests/support/throwaway-pki.h"

using namespace mitmlab;
using namespace mitmlab::test;

namespace {

const ThrowawayChain& chain() {
  static const ThrowawayChain c = make_throwaway_chain("bank.kz", "Judge Test");
  return c;
}

OriginCertificateJudge judge_trusting(const X509* root) {
  auto j = OriginCertificateJudge::from_roots({root});
  if (!j) throw std::runtime_error(j.message());
  return std::move(*j);
}

// A leaf under chain()'s intermediate with its own validity window.
ThrowawayCert leaf_valid(std::time_t not_before, std::time_t not_after) {
  ThrowawayCertSpec spec;
  spec.common_name = "short.bank.kz";
  spec.dns_names = {"short.bank.kz"};
  spec.not_before = not_before;
  spec.not_after = not_after;
  spec.serial = 40;
  return issue_throwaway_cert(chain().intermediate, spec);
}

std::string read_fixture(const std::string& name) {
  std::ifstream in(std::string(MITMLAB_FIXTURES) + "/certs/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::time_t kJuly2019 = utc_time(2019, 7, 20, 12);

}  // namespace

BOOST_AUTO_TEST_CASE(a_chain_to_a_trusted_root_is_trusted_whatever_its_name) {
  OriginCertificateJudge judge = judge_trusting(chain().root.cert.get());
  // The judge is never told the SNI: a facebook.com hello to bank.kz's server is judged on
  // bank.kz's certificate alone (facts §1).
  OriginVerdict v = judge.judge(
      der_list({chain().leaf.cert.get(), chain().intermediate.cert.get()}), kJuly2019);
  BOOST_TEST(v.trusted);
  BOOST_TEST(v.code == X509_V_OK);
  BOOST_TEST(v.reason == "ok");
}

BOOST_AUTO_TEST_CASE(a_self_signed_server_certificate_is_untrusted) {
  ThrowawayCertSpec spec;
  spec.common_name = "selfie.kz";
  spec.dns_names = {"selfie.kz"};
  ThrowawayCert self = make_self_signed(spec);
  OriginCertificateJudge judge = judge_trusting(chain().root.cert.get());
  OriginVerdict v = judge.judge(der_list({self.cert.get()}), kJuly2019);
  BOOST_TEST(!v.trusted);
  BOOST_TEST(v.code == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
  BOOST_TEST(v.reason.find("self-signed") != std::string::npos, v.reason);
}

BOOST_AUTO_TEST_CASE(validity_is_judged_at_the_time_passed_in_not_the_os_clock) {
  // Valid only during 2019: the OS clock (years later) would call it expired.
  ThrowawayCert leaf = leaf_valid(utc_time(2019, 1, 1), utc_time(2020, 1, 1));
  auto der = der_list({leaf.cert.get(), chain().intermediate.cert.get()});
  OriginCertificateJudge judge = judge_trusting(chain().root.cert.get());

  BOOST_TEST(judge.judge(der, kJuly2019).trusted);

  OriginVerdict expired = judge.judge(der, utc_time(2020, 1, 1, 0, 0, 1));
  BOOST_TEST(!expired.trusted);
  BOOST_TEST(expired.code == X509_V_ERR_CERT_HAS_EXPIRED);
  BOOST_TEST(expired.depth == 0);
  BOOST_TEST(expired.reason.find("expired") != std::string::npos, expired.reason);

  OriginVerdict early = judge.judge(der, utc_time(2018, 12, 31, 23, 59, 59));
  BOOST_TEST(!early.trusted);
  BOOST_TEST(early.code == X509_V_ERR_CERT_NOT_YET_VALID);
  BOOST_TEST(early.reason.find("not yet valid") != std::string::npos, early.reason);
}

BOOST_AUTO_TEST_CASE(a_chain_to_an_unknown_root_is_untrusted) {
  static const ThrowawayChain stranger = make_throwaway_chain("bank.kz", "Stranger");
  OriginCertificateJudge judge = judge_trusting(chain().root.cert.get());
  OriginVerdict v = judge.judge(
      der_list({stranger.leaf.cert.get(), stranger.intermediate.cert.get()}), kJuly2019);
  BOOST_TEST(!v.trusted);
  BOOST_TEST(v.code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  BOOST_TEST(v.reason.find("issuer") != std::string::npos, v.reason);
}

BOOST_AUTO_TEST_CASE(a_server_that_omits_its_intermediate_is_untrusted) {
  // Browsers may fetch a missing intermediate (AIA); OpenSSL, like the box, does not.
  OriginCertificateJudge judge = judge_trusting(chain().root.cert.get());
  OriginVerdict v = judge.judge(der_list({chain().leaf.cert.get()}), kJuly2019);
  BOOST_TEST(!v.trusted);
  BOOST_TEST(v.code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

BOOST_AUTO_TEST_CASE(empty_and_unreadable_chains_are_untrusted_not_errors) {
  OriginCertificateJudge judge = judge_trusting(chain().root.cert.get());
  OriginVerdict none = judge.judge({}, kJuly2019);
  BOOST_TEST(!none.trusted);
  BOOST_TEST(none.code == -1);
  Bytes garbage = {0x30, 0x03, 0x02, 0x01};
  OriginVerdict bad = judge.judge({x509_to_der(chain().leaf.cert.get()), garbage}, kJuly2019);
  BOOST_TEST(!bad.trusted);
  BOOST_TEST(bad.depth == 1);
  BOOST_TEST(bad.reason.find("certificate 1 unreadable") != std::string::npos, bad.reason);
}

BOOST_AUTO_TEST_CASE(trust_store_from_pem) {
  std::string qaznet = read_fixture("qaznet-trust-network-root.pem");
  auto one = OriginCertificateJudge::from_pem(qaznet);
  BOOST_TEST_REQUIRE(one.ok(), (one.ok() ? "" : one.message()));
  BOOST_TEST(one->root_count() == 1u);

  std::string bundle = qaznet + x509_to_pem(chain().root.cert.get());
  auto two = OriginCertificateJudge::from_pem(bundle);
  BOOST_TEST_REQUIRE(two.ok(), (two.ok() ? "" : two.message()));
  BOOST_TEST(two->root_count() == 2u);
  BOOST_TEST(two->judge(der_list({chain().leaf.cert.get(), chain().intermediate.cert.get()}),
                        kJuly2019)
                 .trusted);

  BOOST_TEST(!OriginCertificateJudge::from_pem("").ok());
  // A good root followed by a broken block: refused, not silently one root short.
  auto broken = OriginCertificateJudge::from_pem(
      qaznet + "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
  BOOST_TEST_REQUIRE(!broken.ok());
  BOOST_TEST(broken.message().find("bad block after 1 certificate") != std::string::npos,
             broken.message());
}

BOOST_AUTO_TEST_CASE(check_connection_origin_client_until_certificate_then_judge) {
  // The engine's check connection: the box's own hello, the server's first flight, verdict.
  auto client = OriginClient::create(OriginHelloProfile{}, "facebook.com");
  BOOST_TEST_REQUIRE(client.ok());
  TestServerOptions o;
  o.leaf = chain().leaf.cert.get();
  o.key = chain().leaf.key.get();
  o.intermediates = {chain().intermediate.cert.get()};
  OpenSslTestPeer server = OpenSslTestPeer::server(o);
  server.feed(client->take_output());
  client->feed(server.take_output());
  BOOST_TEST_REQUIRE(client->has_server_chain());

  OriginCertificateJudge trusting = judge_trusting(chain().root.cert.get());
  BOOST_TEST(trusting.judge(client->server_chain_der(), kJuly2019).trusted);
  auto qaznet_only = OriginCertificateJudge::from_pem(read_fixture("qaznet-trust-network-root.pem"));
  BOOST_TEST_REQUIRE(qaznet_only.ok());
  BOOST_TEST(!qaznet_only->judge(client->server_chain_der(), kJuly2019).trusted);
}
