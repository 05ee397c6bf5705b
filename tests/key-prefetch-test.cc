#define BOOST_TEST_MODULE key_prefetch
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <string>
#include <vector>

#include "interceptor/forge/key-prefetch.h"
#include "interceptor/forge/rsa-key-derivation.h"
#include "net/bytes.h"
#include "net/openssl.h"
#include "net/seeded-random.h"

using namespace mitmlab;

namespace {

const RsaKeySpec kSpec{1024, 3};

Bytes der(const EVP_PKEY* key) {
  int n = i2d_PrivateKey(key, nullptr);
  BOOST_REQUIRE(n > 0);
  Bytes out(static_cast<std::size_t>(n));
  unsigned char* p = out.data();
  BOOST_REQUIRE_EQUAL(i2d_PrivateKey(key, &p), n);
  return out;
}

Bytes seed(int i) {
  std::string s = "prefetch-test-" + std::to_string(i);
  return Bytes(s.begin(), s.end());
}

std::vector<KeyRequest> requests(int from, int to) {
  std::vector<KeyRequest> out;
  for (int i = from; i < to; ++i) out.push_back({seed(i), kSpec});
  return out;
}

// derive_rsa_key, counting the calls per thread-safe counter.
struct CountingDerive {
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  KeyPrefetch::Derive fn() const {
    return [calls = calls](ByteView s, const RsaKeySpec& spec) {
      ++*calls;
      return derive_rsa_key(s, spec);
    };
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(keys_equal_the_derivation_whoever_derives_them) {
  CountingDerive counting;
  KeyPrefetch prefetch(counting.fn(), 2);
  prefetch.enqueue(requests(0, 6));
  for (int i = 0; i < 8; ++i) {  // 6 enqueued, 2 never asked for
    auto key = prefetch.get(seed(i), kSpec);
    BOOST_REQUIRE_MESSAGE(key.ok(), (key.ok() ? std::string() : key.message()));
    auto expected = derive_rsa_key(seed(i), kSpec);
    BOOST_REQUIRE(expected);
    BOOST_TEST(der(key->get()) == der(expected->get()));
  }
  // Each key was derived once, by a worker or by get(); asking again derives nothing.
  BOOST_TEST(counting.calls->load() == 8);
  for (int i = 0; i < 8; ++i) BOOST_REQUIRE(prefetch.get(seed(i), kSpec));
  BOOST_TEST(counting.calls->load() == 8);
  KeyPrefetchCounters c = prefetch.counters();
  BOOST_TEST(c.requested == 6u);
  BOOST_TEST(c.derived_by_workers + c.derived_inline == 8u);
  BOOST_TEST(c.derived_inline >= 2u);  // the two never enqueued
  BOOST_TEST(c.ready >= 8u);           // the second round
}

BOOST_AUTO_TEST_CASE(duplicates_and_specs_are_told_apart) {
  CountingDerive counting;
  KeyPrefetch prefetch(counting.fn(), 1);
  std::vector<KeyRequest> r = requests(0, 2);
  r.push_back(r[0]);                      // a duplicate: ignored
  r.push_back({seed(0), RsaKeySpec{1024, 65537}});  // same seed, other exponent: another key
  prefetch.enqueue(r);
  prefetch.enqueue(requests(0, 1));       // known already
  BOOST_TEST(prefetch.counters().requested == 3u);
  auto e3 = prefetch.get(seed(0), kSpec);
  auto e65537 = prefetch.get(seed(0), RsaKeySpec{1024, 65537});
  BOOST_REQUIRE(e3);
  BOOST_REQUIRE(e65537);
  BOOST_TEST(der(e3->get()) != der(e65537->get()));
}

BOOST_AUTO_TEST_CASE(without_threads_get_derives_and_remembers) {
  CountingDerive counting;
  KeyPrefetch prefetch(counting.fn(), 0);
  prefetch.enqueue(requests(0, 3));
  BOOST_TEST(counting.calls->load() == 0);  // nothing runs ahead
  BOOST_REQUIRE(prefetch.get(seed(1), kSpec));
  BOOST_REQUIRE(prefetch.get(seed(1), kSpec));
  BOOST_TEST(counting.calls->load() == 1);
  BOOST_TEST(prefetch.counters().derived_inline == 1u);
  BOOST_TEST(prefetch.counters().ready == 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_derivation_is_reported_to_every_asker) {
  KeyPrefetch prefetch([](ByteView, const RsaKeySpec&) -> Result<EvpPkeyPtr> { return make_error("no key today"); }, 1);
  prefetch.enqueue(requests(0, 1));
  for (int round = 0; round < 2; ++round) {
    auto key = prefetch.get(seed(0), kSpec);
    BOOST_REQUIRE(!key);
    BOOST_TEST(key.message() == "no key today");
  }
}

// The simulation's OpenSSL randomness is a seeded stream shared by the process: workers
// deriving keys meanwhile must not draw from it, or runs would stop being reproducible.
BOOST_AUTO_TEST_CASE(workers_draw_no_openssl_randomness) {
  Bytes s = seed(99);
  SeededRandomGuard guard(s);
  std::uint64_t before = guard.bytes_drawn();
  {
    KeyPrefetch prefetch([](ByteView sd, const RsaKeySpec& spec) { return derive_rsa_key(sd, spec); }, 2);
    prefetch.enqueue(requests(10, 14));
    for (int i = 10; i < 14; ++i) BOOST_REQUIRE(prefetch.get(seed(i), kSpec));
  }
  BOOST_TEST(guard.bytes_drawn() == before);
}

BOOST_AUTO_TEST_CASE(destruction_drops_unstarted_work) {
  CountingDerive counting;
  {
    KeyPrefetch prefetch(counting.fn(), 1);
    prefetch.enqueue(requests(100, 140));
  }  // must return without deriving all 40
  BOOST_TEST(counting.calls->load() < 40);
}
