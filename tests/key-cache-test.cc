#define BOOST_TEST_MODULE key_cache
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "interceptor/forge/key-cache.h"
#include "interceptor/forge/rsa-key-derivation.h"
#include "net/bytes.h"
#include "net/openssl.h"

using namespace mitmlab;
namespace fs = std::filesystem;

namespace {

const RsaKeySpec kSpec{1024, 3};

// A fresh directory under the system temp folder, removed with everything in it.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("mitmlab-key-cache-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

Bytes der(const EVP_PKEY* key) {
  int n = i2d_PrivateKey(key, nullptr);
  BOOST_REQUIRE(n > 0);
  Bytes out(static_cast<std::size_t>(n));
  unsigned char* p = out.data();
  i2d_PrivateKey(key, &p);
  return out;
}

Bytes derived_der(std::string_view seed, const RsaKeySpec& spec = kSpec) {
  auto key = derive_rsa_key(as_bytes(seed), spec);
  BOOST_REQUIRE(key.ok());
  return der(key->get());
}

Bytes cached_der(KeyCache& cache, std::string_view seed, const RsaKeySpec& spec = kSpec) {
  auto key = cache.get(as_bytes(seed), spec);
  BOOST_REQUIRE_MESSAGE(key.ok(), (key.ok() ? std::string() : key.message()));
  return der(key->get());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::size_t files_in(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(file_name_binds_seed_and_spec) {
  const std::string a = key_cache_file_name(as_bytes("host-a"), kSpec);
  BOOST_TEST(a.size() == 64u + 4u);
  BOOST_TEST(a.ends_with(".pem"));
  BOOST_TEST(a == key_cache_file_name(as_bytes("host-a"), kSpec));
  BOOST_TEST(a != key_cache_file_name(as_bytes("host-b"), kSpec));
  BOOST_TEST(a != key_cache_file_name(as_bytes("host-a"), RsaKeySpec{2048, 3}));
  BOOST_TEST(a != key_cache_file_name(as_bytes("host-a"), RsaKeySpec{1024, 65537}));
}

BOOST_AUTO_TEST_CASE(miss_then_hit_returns_exactly_the_derived_key) {
  TempDir dir;
  const Bytes expected = derived_der("host-a");
  {
    KeyCache cache(dir.path);
    BOOST_TEST(cached_der(cache, "host-a") == expected);  // miss: derived and stored
    BOOST_TEST(fs::exists(cache.path_for(as_bytes("host-a"), kSpec)));
    BOOST_TEST(cached_der(cache, "host-a") == expected);  // hit
    auto c = cache.counters();
    BOOST_TEST(c.misses == 1u);
    BOOST_TEST(c.hits == 1u);
    BOOST_TEST(c.corrupt == 0u);
    BOOST_TEST(c.write_failures == 0u);
  }
  // A later run (a new cache object on the same directory) hits too.
  KeyCache again(dir.path);
  BOOST_TEST(cached_der(again, "host-a") == expected);
  BOOST_TEST(again.counters().hits == 1u);
  BOOST_TEST(again.counters().misses == 0u);
  BOOST_TEST(files_in(dir.path) == 1u);  // no temporary file left behind
}

BOOST_AUTO_TEST_CASE(file_is_a_readable_pem_with_digest_header) {
  TempDir dir;
  KeyCache cache(dir.path);
  cached_der(cache, "host-a");
  const std::string text = read_file(cache.path_for(as_bytes("host-a"), kSpec));
  BOOST_TEST(text.starts_with("mitmlab key cache v1\nsha256 "));
  BOOST_TEST(text.find("-----BEGIN PRIVATE KEY-----") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(corrupt_files_are_reported_and_derived_again) {
  const Bytes expected = derived_der("host-a");
  // Each damage leaves a file that must not be trusted.
  struct Damage {
    const char* name;
    std::string (*apply)(std::string);
  };
  const Damage damages[] = {
      {"flipped bit in the key", [](std::string t) { t[t.size() / 2] ^= 0x01; return t; }},
      {"truncated", [](std::string t) { return t.substr(0, t.size() - 40); }},
      {"empty", [](std::string) { return std::string(); }},
      {"foreign text", [](std::string) { return std::string("hello\n"); }},
      {"digest line edited", [](std::string t) { t[40] = t[40] == '0' ? '1' : '0'; return t; }},
  };
  for (const Damage& damage : damages) {
    BOOST_TEST_CONTEXT(damage.name) {
      TempDir dir;
      KeyCache cache(dir.path);
      cached_der(cache, "host-a");
      const fs::path path = cache.path_for(as_bytes("host-a"), kSpec);
      write_file(path, damage.apply(read_file(path)));

      BOOST_TEST(cached_der(cache, "host-a") == expected);
      BOOST_TEST(cache.counters().corrupt == 1u);
      auto problems = cache.take_problems();
      BOOST_TEST(problems.size() == 1u);
      if (!problems.empty()) BOOST_TEST(problems[0].find(path.filename().string()) != std::string::npos);
      BOOST_TEST(cache.take_problems().empty());
      // The bad file was replaced by a good one.
      BOOST_TEST(cached_der(cache, "host-a") == expected);
      BOOST_TEST(cache.counters().hits == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_valid_file_under_another_seeds_name_is_rejected) {
  TempDir dir;
  KeyCache cache(dir.path);
  cached_der(cache, "host-a");
  // Same spec, so only the name binding can tell the keys apart.
  fs::copy_file(cache.path_for(as_bytes("host-a"), kSpec), cache.path_for(as_bytes("host-b"), kSpec));
  BOOST_TEST(cached_der(cache, "host-b") == derived_der("host-b"));
  BOOST_TEST(cache.counters().corrupt == 1u);
}

BOOST_AUTO_TEST_CASE(disabled_cache_derives) {
  KeyCache cache;
  BOOST_TEST(!cache.enabled());
  BOOST_TEST(cached_der(cache, "host-a") == derived_der("host-a"));
  BOOST_TEST(cache.counters().misses == 1u);
  BOOST_TEST(cache.path_for(as_bytes("host-a"), kSpec).empty());
}

BOOST_AUTO_TEST_CASE(unwritable_directory_still_returns_the_key) {
  TempDir dir;
  const fs::path not_a_dir = dir.path / "file";
  write_file(not_a_dir, "x");
  KeyCache cache(not_a_dir);
  BOOST_TEST(cached_der(cache, "host-a") == derived_der("host-a"));
  BOOST_TEST(cache.counters().write_failures == 1u);
  BOOST_TEST(cache.take_problems().size() == 1u);
}

BOOST_AUTO_TEST_CASE(unsupported_spec_is_an_error_and_writes_nothing) {
  TempDir dir;
  KeyCache cache(dir.path);
  auto key = cache.get(as_bytes("host-a"), RsaKeySpec{2048, 5});
  BOOST_TEST(!key.ok());
  BOOST_TEST(files_in(dir.path) == 0u);
}

BOOST_AUTO_TEST_CASE(parallel_threads_share_a_directory) {
  TempDir dir;
  KeyCache cache(dir.path);
  const std::vector<std::string> seeds{"p-0", "p-1", "p-2"};
  std::vector<Bytes> expected;
  for (const auto& s : seeds) expected.push_back(derived_der(s));

  constexpr int kThreads = 4;
  std::vector<std::vector<Bytes>> got(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        // Each thread in a different order, so that misses and hits interleave.
        for (std::size_t i = 0; i < seeds.size(); ++i) {
          const auto& seed = seeds[(i + t) % seeds.size()];
          auto key = cache.get(as_bytes(seed), kSpec);
          int n = key.ok() ? i2d_PrivateKey(key->get(), nullptr) : 0;
          Bytes out(static_cast<std::size_t>(n > 0 ? n : 0));
          unsigned char* p = out.data();
          if (n > 0) i2d_PrivateKey(key->get(), &p);
          got[t].push_back(std::move(out));
        }
      });
    }
  }
  for (int t = 0; t < kThreads; ++t) {
    for (std::size_t i = 0; i < seeds.size(); ++i) {
      BOOST_TEST(got[t][i] == expected[(i + t) % seeds.size()]);
    }
  }
  auto c = cache.counters();
  BOOST_TEST(c.hits + c.misses == static_cast<std::uint64_t>(kThreads * seeds.size()));
  BOOST_TEST(c.corrupt == 0u);
  BOOST_TEST(c.write_failures == 0u);
  BOOST_TEST(files_in(dir.path) == seeds.size());  // three keys, no temporary files
}
