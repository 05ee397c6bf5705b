#include "cli/forgery-bench.h"

#include <filesystem>
#include <random>
#include <vector>

#include <fmt/core.h>
#include <openssl/ec.h>

#include "cli/bench-stats.h"
#include "interceptor/forge/fake-authority.h"
#include "interceptor/forge/forger.h"
#include "interceptor/forge/key-cache.h"
#include "net/openssl.h"

namespace mitmlab::cli {
namespace {

// A server certificate like the ones the box meets: distinct name, SAN and serial per host.
// Its key and issuer do not matter to the forger (only names, validity and serial are copied).
Result<X509Ptr> synthetic_original(EVP_PKEY* key, unsigned i) {
  X509Ptr cert(X509_new());
  if (!cert) return openssl_error("X509_new");
  const std::string host = fmt::format("host-{}.bench.example.kz", i);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("KZ"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(host.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), 0x1000000ull + i);
  ASN1_TIME_set_string(X509_getm_notBefore(cert.get()), "190101000000Z");
  ASN1_TIME_set_string(X509_getm_notAfter(cert.get()), "200101000000Z");
  X509_set_pubkey(cert.get(), key);
  const std::string san = "DNS:" + host;
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san.c_str()));
  if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) return openssl_error("subjectAltName");
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) return openssl_error("signing a synthetic original");
  return cert;
}

// Forges every original with `forger`, returning per-forgery milliseconds.
Result<std::vector<double>> forge_all(Forger& forger, const std::vector<X509Ptr>& originals) {
  std::vector<double> ms;
  for (const auto& original : originals) {
    auto start = BenchClock::now();
    auto chain = forger.forge(*original);
    ms.push_back(ms_since(start));
    if (!chain.ok()) return chain.error();
  }
  return ms;
}

}  // namespace

bool bench_forgeries(unsigned count, const std::string& cache_dir) {
  namespace fs = std::filesystem;
  auto fail = [](const std::string& message) {
    fmt::print(stderr, "mitmlab bench forge: {}\n", message);
    return false;
  };
  fs::path dir = cache_dir.empty() ? fs::path() : fs::path(cache_dir) / "forgeries";
  const bool temporary = dir.empty();
  if (temporary) {
    std::random_device rd;  // a scratch directory name: never part of a result
    dir = fs::temp_directory_path() / fmt::format("mitmlab-bench-forgeries-{}{}", rd(), rd());
  }
  struct RemoveDir {
    fs::path dir;
    bool active;
    ~RemoveDir() {
      std::error_code ec;
      if (active) fs::remove_all(dir, ec);
    }
  } cleanup{dir, temporary};

  EvpPkeyPtr original_key(EVP_EC_gen("P-256"));
  if (!original_key) return fail(openssl_error("EC key for the synthetic originals").message);
  std::vector<X509Ptr> originals;
  for (unsigned i = 0; i < count; ++i) {
    auto cert = synthetic_original(original_key.get(), i);
    if (!cert.ok()) return fail(cert.message());
    originals.push_back(std::move(cert.value()));
  }

  auto profile = find_profile("qaznet-2019");
  if (!profile.ok()) return fail(profile.message());
  KeyCache cache(dir);
  KeySource keys = [&cache](ByteView seed, const RsaKeySpec& spec) { return cache.get(seed, spec); };
  auto authority = FakeAuthority::create(*profile, 0, keys);
  if (!authority.ok()) return fail(authority.message());
  auto shared = std::make_shared<const FakeAuthority>(std::move(authority.value()));

  Forger cold(shared, Forger::kDefaultCapacity, keys);
  auto cold_ms = forge_all(cold, originals);
  if (!cold_ms.ok()) return fail(cold_ms.message());
  auto hit_ms = forge_all(cold, originals);  // the same forger again: in-memory cache hits
  if (!hit_ms.ok()) return fail(hit_ms.message());
  Forger warm(shared, Forger::kDefaultCapacity, keys);  // empty LRU, keys on disk
  auto warm_ms = forge_all(warm, originals);
  if (!warm_ms.ok()) return fail(warm_ms.message());

  fmt::print("full forgeries (RSA-2048 e=3 leaf, signed by the intermediate), {} distinct originals\n", count);
  fmt::print("{:<30} {:>10} {:>10} {:>10} {:>10}\n", "", "median ms", "mean ms", "max ms", "forged/s");
  print_bench_row("forge cold (key derived)", *cold_ms);
  print_bench_row("forge warm (key cache on disk)", *warm_ms);
  print_bench_row("forge hit (in-memory LRU)", *hit_ms);
  if (cold.counters().hits != count || warm.counters().misses != count)
    return fail(fmt::format("unexpected cache counters: {} hits, {} misses", cold.counters().hits,
                            warm.counters().misses));
  return true;
}

}  // namespace mitmlab::cli
