// `mitmlab bench forge`: how fast forged keys come, side by side with OpenSSL's own key
// generation. Wall clock (steady_clock) is used here only: it never reaches a result.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/core.h>
#include <openssl/rsa.h>
#include <unistd.h>

#include "cli/bench-command.h"
#include "cli/bench-stats.h"
#include "cli/forgery-bench.h"
#include "cli/command.h"
#include "interceptor/forge/key-cache.h"
#include "interceptor/forge/rsa-key-derivation.h"
#include "net/openssl.h"

namespace mitmlab::cli {
namespace {

using Clock = BenchClock;

struct Options {
  unsigned keys = 20;
  unsigned bits = 2048;
  unsigned long exponent = 3;
  unsigned threads = 1;
  std::string seed = "mitmlab bench forge";
  std::string cache_dir;  // empty: a fresh temporary directory, removed afterwards
};

// OpenSSL's own random key generation, configured as the forger's keys are.
Result<EvpPkeyPtr> openssl_keygen(const RsaKeySpec& spec) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  BignumPtr e(BN_new());
  if (!ctx || !e || !BN_set_word(e.get(), spec.public_exponent) || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<int>(spec.bits)) != 1 ||
      EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), e.get()) != 1) {
    return openssl_error("EVP_PKEY_keygen setup failed");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) != 1) return openssl_error("EVP_PKEY_keygen failed");
  return EvpPkeyPtr(raw);
}

Bytes seed_for(const Options& opt, unsigned i) {
  std::string s = fmt::format("{}/{}", opt.seed, i);
  return Bytes(s.begin(), s.end());
}

// Derived keys per second with `threads` threads deriving distinct keys at once.
Result<double> parallel_rate(const Options& opt, const RsaKeySpec& spec) {
  std::vector<std::string> errors(opt.threads);
  auto start = Clock::now();
  {
    std::vector<std::jthread> workers;
    for (unsigned t = 0; t < opt.threads; ++t) {
      workers.emplace_back([&, t] {
        for (unsigned i = t; i < opt.keys; i += opt.threads) {
          auto key = derive_rsa_key(seed_for(opt, opt.keys + i), spec);
          if (!key.ok()) errors[t] = key.message();
        }
      });
    }
  }
  double elapsed_ms = ms_since(start);
  for (const auto& e : errors) {
    if (!e.empty()) return Error{e};
  }
  return opt.keys / (elapsed_ms / 1000.0);
}

void print_row(std::string_view name, const std::vector<double>& ms) { print_bench_row(name, ms); }

// The key cache on the same N seeds: a cold pass (derive and store) then a warm pass (load
// and verify). Returns false after printing an error.
bool bench_cache(const Options& opt, const RsaKeySpec& spec) {
  namespace fs = std::filesystem;
  fs::path dir = opt.cache_dir;
  const bool temporary = dir.empty();
  if (temporary) {
    std::random_device rd;
    dir = fs::temp_directory_path() / fmt::format("mitmlab-bench-forge-{}{}", rd(), rd());
  }
  std::vector<double> cold_ms, warm_ms;
  KeyCacheCounters counters;
  {
    KeyCache cache(dir);
    for (auto* pass : {&cold_ms, &warm_ms}) {
      for (unsigned i = 0; i < opt.keys; ++i) {
        auto start = Clock::now();
        auto key = cache.get(seed_for(opt, i), spec);
        pass->push_back(ms_since(start));
        if (!key.ok()) {
          fmt::print(stderr, "mitmlab bench forge: {}\n", key.message());
          return false;
        }
      }
    }
    counters = cache.counters();
  }
  if (temporary) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  print_row(fmt::format("KeyCache cold ({} misses)", counters.misses), cold_ms);
  print_row(fmt::format("KeyCache warm ({} hits)", counters.hits), warm_ms);
  return true;
}

int run(const Options& opt) {
  const RsaKeySpec spec{opt.bits, opt.exponent};
  if (auto ok = check_rsa_key_spec(spec); !ok) {
    fmt::print(stderr, "mitmlab bench forge: {}\n", ok.message());
    return 2;
  }
  const bool progress = isatty(STDERR_FILENO) == 1;
  std::vector<double> derived_ms, openssl_ms;
  RsaDerivationStats stats;
  // Interleaved, one of each per step, so that load from other processes falls on both sides.
  for (unsigned i = 0; i < opt.keys; ++i) {
    if (progress) fmt::print(stderr, "\rkey {}/{}", i + 1, opt.keys);
    auto start = Clock::now();
    auto derived = derive_rsa_key(seed_for(opt, i), spec, &stats);
    derived_ms.push_back(ms_since(start));
    if (!derived.ok()) {
      fmt::print(stderr, "\nmitmlab bench forge: {}\n", derived.message());
      return 1;
    }
    start = Clock::now();
    auto generated = openssl_keygen(spec);
    openssl_ms.push_back(ms_since(start));
    if (!generated.ok()) {
      fmt::print(stderr, "\nmitmlab bench forge: {}\n", generated.message());
      return 1;
    }
  }
  if (progress) fmt::print(stderr, "\r\033[K");

  const double dmed = median(derived_ms), omed = median(openssl_ms);
  fmt::print("mitmlab bench forge: RSA-{} e={}, {} keys each, interleaved (wall clock, steady_clock)\n", opt.bits,
             opt.exponent, opt.keys);
  fmt::print("{:<30} {:>10} {:>10} {:>10} {:>10}\n", "", "median ms", "mean ms", "max ms", "keys/s");
  print_row("derive_rsa_key (seeded)", derived_ms);
  print_row("OpenSSL EVP_PKEY_keygen", openssl_ms);
  fmt::print("speed-up (OpenSSL median / derived median): {:.1f}x\n", dmed > 0 ? omed / dmed : 0.0);
  fmt::print("derived work per key: {:.1f} Miller-Rabin rounds, {:.0f} odd candidates, {:.2f} prime draws\n",
             double(stats.miller_rabin) / opt.keys, double(stats.candidates) / opt.keys,
             double(stats.prime_draws) / opt.keys);

  // The same seeds as above: a directory given with --cache-dir may already be warm.
  if (!bench_cache(opt, spec)) return 1;

  if (opt.threads > 1) {
    auto rate = parallel_rate(opt, spec);
    if (!rate.ok()) {
      fmt::print(stderr, "mitmlab bench forge: {}\n", rate.message());
      return 1;
    }
    fmt::print("derive_rsa_key with {} threads: {:.1f} keys/s ({} keys)\n", opt.threads, *rate, opt.keys);
  }

  // Full forgeries (key + certificate + signature), cold and warm, over distinct originals.
  if (!bench_forgeries(opt.keys, opt.cache_dir)) return 1;
  return 0;
}

void install(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<Options>();
  auto* cmd = bench_command(app).add_subcommand(
      "forge", "Deterministic RSA key derivation vs OpenSSL's EVP_PKEY_keygen, and full forgeries per second");
  cmd->add_option("--keys", options->keys, "Keys per side")->default_val(20)->check(CLI::Range(1u, 100000u));
  cmd->add_option("--bits", options->bits, "RSA modulus size")->default_val(2048);
  cmd->add_option("--exponent", options->exponent, "RSA public exponent")->default_val(3);
  cmd->add_option("--threads", options->threads, "Also measure derivation with this many threads")
      ->default_val(1)
      ->check(CLI::Range(1u, 256u));
  cmd->add_option("--cache-dir", options->cache_dir,
                  "Key cache directory for the cold/warm rows (default: a temporary one, removed after)");
  cmd->add_option("--seed", options->seed, "Seed label for the derived keys")->default_val("mitmlab bench forge");
  cmd->callback([options, &exit_code] { exit_code = run(*options); });
}

const bool registered = register_command(install);

}  // namespace
}  // namespace mitmlab::cli
