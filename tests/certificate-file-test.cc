// Loading originals: PEM, DER, chains; every bad input is an error naming the file.
#define BOOST_TEST_MODULE certificate_file
#include <boost/test/unit_test.hpp>

#include "interceptor/forge/certificate-file.h"
#include "support/forge-test-helpers.h"

using namespace mitmlab;
using namespace mitmlab::test;

namespace {

void expect_error(const std::string& path, const std::string& what) {
  auto cert = load_certificate_file(path);
  BOOST_TEST_REQUIRE(!cert.ok());
  BOOST_TEST(cert.message().find(path) == 0u, cert.message());
  BOOST_TEST(cert.message().find(what) != std::string::npos, cert.message());
}

}  // namespace

BOOST_AUTO_TEST_CASE(pem_der_and_chain_give_the_same_leaf) {
  auto reference = load_pem_fixture("sample-bank.pem");
  const Bytes expected = x509_to_der(reference.get());
  for (const char* name : {"sample-bank.pem", "sample-bank.der", "sample-bank-chain.pem"}) {
    BOOST_TEST_CONTEXT(name) {
      auto cert = load_certificate_file(cert_fixture(name));
      BOOST_TEST_REQUIRE(cert.ok(), (cert.ok() ? std::string() : cert.message()));
      BOOST_TEST(x509_to_der(cert->get()) == expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_inputs_are_errors_naming_the_file) {
  expect_error(cert_fixture("garbage.bin"), "neither PEM nor a DER certificate");
  expect_error(cert_fixture("garbage.pem"), "no readable CERTIFICATE");
  expect_error(cert_fixture("empty.pem"), "empty file");
  expect_error(cert_fixture("does-not-exist.pem"), "cannot open");
  expect_error(cert_fixture(""), "is a directory");
}

BOOST_AUTO_TEST_CASE(der_with_trailing_bytes_is_refused) {
  auto reference = load_pem_fixture("sample-bank.pem");
  Bytes der = x509_to_der(reference.get());
  der.push_back(0);
  auto cert = parse_certificate(der, "padded.der");
  BOOST_TEST_REQUIRE(!cert.ok());
  BOOST_TEST(cert.message().find("padded.der") == 0u);
}
