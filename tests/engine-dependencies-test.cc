// EngineDependencies from a configuration: the forging profile's authority, the trust store
// from inline PEM and files, and errors that name what failed.
#define BOOST_TEST_MODULE engine_dependencies
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <fstream>

#include "interceptor/engine-dependencies.h"
#include "interceptor/forge/forger.h"
#include "interceptor/tls/origin-certificate-judge.h"
#include "tests/support/throwaway-pki.h"

using namespace mitmlab;

namespace {

std::string root_pem(const std::string& name) {
  test::ThrowawayCertSpec spec;
  spec.common_name = name;
  spec.is_ca = true;
  return x509_to_pem(test::make_self_signed(spec).cert.get());
}

}  // namespace

BOOST_AUTO_TEST_CASE(builds_forger_and_judge_from_inline_pem_and_files) {
  const std::string path = "engine-dependencies-test-root.pem";
  {
    std::ofstream out(path);
    out << root_pem("File Root");
  }
  EngineConfig cfg;
  cfg.trust_store = {root_pem("Inline Root"), path};
  Result<EngineDependencies> deps = make_engine_dependencies(cfg);
  std::remove(path.c_str());
  BOOST_TEST_REQUIRE(deps.ok(), (deps.ok() ? std::string() : deps.message()));
  BOOST_TEST_REQUIRE(deps->judge != nullptr);
  BOOST_TEST(deps->judge->root_count() == 2u);
  BOOST_TEST_REQUIRE(deps->forger != nullptr);
  BOOST_TEST(deps->forger->authority().profile().name == "qaznet-2019");
  BOOST_TEST(deps->forger->authority().seed() == 1u);
}

BOOST_AUTO_TEST_CASE(empty_trust_store_gives_no_judge_and_errors_name_the_cause) {
  EngineConfig cfg;
  Result<EngineDependencies> deps = make_engine_dependencies(cfg);
  BOOST_TEST_REQUIRE(deps.ok());
  BOOST_TEST(deps->judge == nullptr);

  cfg.trust_store = {"/nonexistent/roots.pem"};
  Result<EngineDependencies> missing = make_engine_dependencies(cfg);
  BOOST_TEST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.message().find("/nonexistent/roots.pem") != std::string::npos);

  cfg.trust_store = {};
  cfg.forging_profile = "no-such-profile";
  Result<EngineDependencies> unknown = make_engine_dependencies(cfg);
  BOOST_TEST_REQUIRE(!unknown.ok());
  BOOST_TEST(unknown.message().find("no-such-profile") != std::string::npos);
}
