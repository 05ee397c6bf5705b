// Forged-leaf keys derived ahead of need on worker threads, so that a run which forges for
// thousands of hosts uses every core for the part that dominates it (deriving an RSA-2048
// key costs ~100 ms; a handshake ~1 ms).
//
// - A key is a pure function of (seed, spec) (rsa-key-derivation.h): who derives it, and when,
//   cannot change a result. get() returns exactly what `derive` would. The derivation draws no
//   OpenSSL randomness, so the simulation's seeded stream (net/seeded-random.h) is untouched by
//   the workers (tests/key-prefetch-test.cc checks both).
// - enqueue() takes requests in the order they are likely to be needed; workers take them in
//   that order. get() on a request not started yet takes it back and derives it on the calling
//   thread (never waits behind a queue); on one a worker is deriving, it waits for that worker.
//   Unknown requests are derived on the calling thread.
// - Every key derived is kept (a forger's LRU may evict a chain and need its key again);
//   RSA-2048 keys cost a few KB each.
// - The destructor drops what was not started and joins the workers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "interceptor/forge/fake-authority.h"
#include "interceptor/forge/rsa-key-derivation.h"
#include "net/bytes.h"
#include "net/openssl.h"
#include "net/result.h"

namespace mitmlab {

struct KeyRequest {
  Bytes seed;
  RsaKeySpec spec;
};

struct KeyPrefetchCounters {
  std::uint64_t requested = 0;         // distinct requests enqueued
  std::uint64_t derived_by_workers = 0;
  std::uint64_t ready = 0;             // get() found the key already derived
  std::uint64_t waited = 0;            // get() waited for a worker deriving it
  std::uint64_t derived_inline = 0;    // get() derived it itself (not started, or never enqueued)
};

class KeyPrefetch {
 public:
  // The forgers' own key-source type: what it derives, get() returns.
  using Derive = KeySource;

  // `derive` must be safe to call from several threads at once (derive_rsa_key and
  // KeyCache::get are). threads == 0: nothing runs ahead; get() derives and remembers.
  KeyPrefetch(Derive derive, unsigned threads);
  ~KeyPrefetch();
  KeyPrefetch(const KeyPrefetch&) = delete;
  KeyPrefetch& operator=(const KeyPrefetch&) = delete;

  // Queues what is not known yet (duplicates are ignored), in the given order.
  void enqueue(const std::vector<KeyRequest>& requests);

  // The key for (seed, spec): a new reference the caller owns.
  Result<EvpPkeyPtr> get(ByteView seed, const RsaKeySpec& spec);

  KeyPrefetchCounters counters() const;

 private:
  enum class State { kQueued, kDeriving, kDone };
  struct Entry {
    Entry(Bytes s, RsaKeySpec sp) : seed(std::move(s)), spec(sp) {}
    Bytes seed;
    RsaKeySpec spec;
    State state = State::kQueued;
    EvpPkeyPtr key;             // kDone and derivation succeeded
    std::optional<Error> error; // kDone and derivation failed
  };
  using Key = std::string;  // "<bits>:<e>:" then the seed's bytes
  static Key key_of(ByteView seed, const RsaKeySpec& spec);
  static Result<EvpPkeyPtr> share(const Entry& e);
  void work();

  Derive derive_;
  mutable std::mutex mutex_;
  std::condition_variable done_;      // an entry reached kDone
  std::condition_variable queued_;    // work arrived or stopping
  std::map<Key, Entry> entries_;      // guarded by mutex_
  std::deque<Key> queue_;             // guarded by mutex_; may hold keys taken back by get()
  bool stopping_ = false;             // guarded by mutex_
  KeyPrefetchCounters counters_;      // guarded by mutex_
  std::vector<std::jthread> workers_;
};

}  // namespace mitmlab
