// Attribution of chains to known interception authorities: the real 2019 Qaznet
// certificates (name AND key), mitmlab's look-alikes (name only), and nothing for others.
#define BOOST_TEST_MODULE known_authorities
#include "scanner/known-authorities.h"

#include <openssl/pem.h>

#include <boost/test/unit_test.hpp>

#include "tests/support/forge-test-helpers.h"
#include "tests/support/lookalike-forgery.h"
#include "tests/support/throwaway-pki.h"

using namespace mitmlab;
using namespace mitmlab::test;

namespace {

Bytes fixture_der(const std::string& name) { return x509_to_der(load_pem_fixture(name).get()); }

}  // namespace

BOOST_AUTO_TEST_CASE(embedded_pem_equals_the_published_fixtures) {
  BioPtr root(
      BIO_new_mem_buf(qaznet_root_pem().data(), static_cast<int>(qaznet_root_pem().size())));
  X509Ptr cert(PEM_read_bio_X509(root.get(), nullptr, nullptr, nullptr));
  BOOST_TEST_REQUIRE(cert.get() != nullptr);
  BOOST_TEST(x509_to_der(cert.get()) == fixture_der("qaznet-trust-network-root.pem"));
  BioPtr inter(BIO_new_mem_buf(qaznet_intermediate_pem().data(),
                               static_cast<int>(qaznet_intermediate_pem().size())));
  cert.reset(PEM_read_bio_X509(inter.get(), nullptr, nullptr, nullptr));
  BOOST_TEST_REQUIRE(cert.get() != nullptr);
  BOOST_TEST(x509_to_der(cert.get()) ==
             fixture_der("qaznet-security-certificate-intermediate.pem"));
}

BOOST_AUTO_TEST_CASE(real_qaznet_intermediate_in_a_chain_is_genuine) {
  // A leaf the real box would have sent with it (we cannot sign one; any leaf will do: the
  // intermediate is what matches).
  auto other = make_throwaway_chain("bank.kz", "Bank");
  auto a = attribute({x509_to_der(other.leaf.cert.get()),
                      fixture_der("qaznet-security-certificate-intermediate.pem")});
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST(a->label == "qaznet-2019 (real)");
  BOOST_TEST(a->genuine);
  BOOST_TEST(a->authority == "qaznet-2019");
  BOOST_TEST(a->depth == 1u);
  BOOST_TEST(a->field == "subject");
  BOOST_TEST(a->name == "C = KZ, CN = Security Certificate");
}

BOOST_AUTO_TEST_CASE(real_root_alone_and_unreadable_entries_skipped) {
  Bytes garbage = {0x30, 0x03, 0x02, 0x01, 0x01};
  auto a = attribute({garbage, fixture_der("qaznet-trust-network-root.pem")});
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST(a->genuine);
  BOOST_TEST(a->depth == 1u);
  BOOST_TEST(a->name == "C = KZ, CN = Qaznet Trust Network");
}

BOOST_AUTO_TEST_CASE(mitmlab_lookalike_forgery_is_attributed_by_name_not_key) {
  auto original = make_throwaway_chain("facebook.com", "Social");
  auto forged = lookalike_forgery(*original.leaf.cert);
  auto a = attribute({forged->leaf_der, forged->intermediate_der});
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST(a->label == "qaznet-2019 (mitmlab look-alike)");
  BOOST_TEST(!a->genuine);
  BOOST_TEST(a->depth == 0u);
  BOOST_TEST(a->field == "issuer");  // the forged leaf names the intermediate as issuer
  BOOST_TEST(a->name == "C = KZ, CN = Security Certificate");

  // The look-alike intermediate alone: the real name with another key is not genuine.
  auto alone = attribute({forged->intermediate_der});
  BOOST_TEST_REQUIRE(alone.has_value());
  BOOST_TEST(!alone->genuine);
  BOOST_TEST(alone->field == "subject");
}

BOOST_AUTO_TEST_CASE(genuine_wins_over_a_name_match_earlier_in_the_chain) {
  auto original = make_throwaway_chain("facebook.com", "Social");
  auto forged = lookalike_forgery(*original.leaf.cert);
  auto a =
      attribute({forged->leaf_der, fixture_der("qaznet-security-certificate-intermediate.pem")});
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST(a->genuine);
  BOOST_TEST(a->depth == 1u);
}

BOOST_AUTO_TEST_CASE(isca_lookalike) {
  auto original = make_throwaway_chain("vk.com", "Social");
  auto forged = lookalike_forgery(*original.leaf.cert, "isca-2020");
  auto a = attribute({forged->leaf_der, forged->intermediate_der});
  BOOST_TEST_REQUIRE(a.has_value());
  BOOST_TEST(a->authority == "isca-2020");
  BOOST_TEST(a->label == "isca-2020 (mitmlab look-alike)");
  BOOST_TEST(a->name == "C = KZ, O = ISCA, CN = ISCA Intermediate CA");
}

BOOST_AUTO_TEST_CASE(ordinary_chains_are_not_attributed) {
  auto c = make_throwaway_chain("bank.kz", "Qaznet");  // "Qaznet Root": not the 2019 name
  BOOST_TEST(!attribute(der_list({c.leaf.cert.get(), c.intermediate.cert.get()})).has_value());
  BOOST_TEST(!attribute({}).has_value());
  BOOST_TEST(!attribute({fixture_der("sample-bank.pem")}).has_value());
}
