// Smoke tests of `mitmlab forge` and `mitmlab ca`, running the built binary.
#define BOOST_TEST_MODULE forge_cli
#include <boost/test/unit_test.hpp>

#include "support/run-mitmlab.h"

#include <cstdio>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>

#include "support/forge-test-helpers.h"

using namespace mitmlab;
using namespace mitmlab::test;

namespace {

using Run = CommandRun;  // status, and stdout with stderr merged

Run run(const std::string& args) { return run_mitmlab(args); }

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(forge_explain_prints_the_table_then_two_certificates) {
  auto r = run("forge " + cert_fixture("sample-bank.pem") + " --explain --seed 3");
  BOOST_TEST(r.status == 0, r.output);
  for (const char* row : {"subject", "subjectAltName", "issuer", "serial", "notBefore", "notAfter",
                          "key", "signature", "extensions"})
    BOOST_TEST(r.output.find(std::string("\n") + row + " ") != std::string::npos, row);
  BOOST_TEST(r.output.find("RSA 2048 bits, e=3") != std::string::npos);
  BOOST_TEST(r.output.find("CN = Security Certificate") != std::string::npos);
  BOOST_TEST(count(r.output, "-----BEGIN CERTIFICATE-----") == 2u);
}

BOOST_AUTO_TEST_CASE(forge_output_is_leaf_then_intermediate) {
  auto r = run("forge " + cert_fixture("sample-bank.der"));
  BOOST_TEST_REQUIRE(r.status == 0, r.output);
  BioPtr bio(BIO_new_mem_buf(r.output.data(), static_cast<int>(r.output.size())));
  X509Ptr leaf(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  X509Ptr inter(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  BOOST_TEST_REQUIRE((leaf && inter));
  auto original = load_pem_fixture("sample-bank.pem");
  BOOST_TEST(name_der(X509_get_subject_name(leaf.get())) == name_der(X509_get_subject_name(original.get())));
  BOOST_TEST(name_der(X509_get_issuer_name(leaf.get())) == name_der(X509_get_subject_name(inter.get())));
  BOOST_TEST(X509_verify(leaf.get(), X509_get0_pubkey(inter.get())) == 1);
}

BOOST_AUTO_TEST_CASE(bad_inputs_fail_naming_the_file) {
  for (const char* name : {"garbage.bin", "garbage.pem", "empty.pem", "missing.pem"}) {
    BOOST_TEST_CONTEXT(name) {
      auto r = run("forge " + cert_fixture(name));
      BOOST_TEST(r.status != 0);
      BOOST_TEST(r.output.find(cert_fixture(name)) != std::string::npos, r.output);
    }
  }
  auto r = run("forge " + cert_fixture("sample-bank.pem") + " --profile nope");
  BOOST_TEST(r.status != 0);
  BOOST_TEST(r.output.find("known: qaznet-2019") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(ca_writes_the_four_pem_files) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("mitmlab-ca-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto r = run("ca --seed 3 --out " + dir.string());
  BOOST_TEST_REQUIRE(r.status == 0, r.output);
  for (const char* f : {"root.pem", "root-key.pem", "intermediate.pem", "intermediate-key.pem"})
    BOOST_TEST(std::filesystem::file_size(dir / f) > 0u, f);
  BioPtr bio(BIO_new_file((dir / "root.pem").c_str(), "r"));
  X509Ptr root(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  BOOST_TEST_REQUIRE(root.get() != nullptr);
  auto real = load_pem_fixture("qaznet-trust-network-root.pem");
  BOOST_TEST(name_der(X509_get_subject_name(root.get())) == name_der(X509_get_subject_name(real.get())));
  BioPtr key_bio(BIO_new_file((dir / "root-key.pem").c_str(), "r"));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  BOOST_TEST_REQUIRE(key.get() != nullptr);
  BOOST_TEST(X509_check_private_key(root.get(), key.get()) == 1);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(key_cache_changes_nothing_but_speed) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("mitmlab-forge-cli-keys-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::string args = "forge " + cert_fixture("sample-ecdsa.pem") + " --seed 5";
  auto plain = run(args);
  auto first = run(args + " --key-cache " + dir.string());
  auto second = run(args + " --key-cache " + dir.string());
  BOOST_TEST_REQUIRE(plain.status == 0, plain.output);
  BOOST_TEST(first.output == plain.output);
  BOOST_TEST(second.output == plain.output);
  BOOST_TEST(!std::filesystem::is_empty(dir));
  std::filesystem::remove_all(dir);
}
