// The forger: the original server certificate in, the forged chain out (facts §3), with an
// in-memory LRU of recent forgeries. A cache hit returns the very chain a miss produced,
// and a miss is deterministic, so hit and miss always give the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "interceptor/forge/fake-authority.h"
#include "interceptor/forge/rsa-key-derivation.h"
#include "net/bytes.h"
#include "net/openssl.h"
#include "net/result.h"

namespace mitmlab {

// What the box sends after a forgery: leaf + intermediate (the root is never sent), with
// the leaf's private key for the TLS server side.
struct ForgedChain {
  X509Ptr leaf;
  X509Ptr intermediate;
  EvpPkeyPtr leaf_key;
  Bytes leaf_der;
  Bytes intermediate_der;
};

// The seed of a forged leaf's key: user seed (8 bytes, big-endian) ‖ "leaf" ‖ SHA-256(original DER).
Bytes leaf_key_seed(std::uint64_t seed, ByteView original_sha256);

// Forges one chain, no caching.
Result<ForgedChain> forge_chain(const FakeAuthority& authority, const X509& original,
                                const KeySource& keys);

struct ForgerCounters {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t evictions = 0;
  std::uint64_t failures = 0;  // originals that could not be forged
};

// Not thread-safe: one Forger per engine thread, or a lock around it.
class Forger {
 public:
  static constexpr std::size_t kDefaultCapacity = 1024;

  explicit Forger(std::shared_ptr<const FakeAuthority> authority,
                  std::size_t capacity = kDefaultCapacity, KeySource keys = {});

  Result<std::shared_ptr<const ForgedChain>> forge(const X509& original);

  const ForgerCounters& counters() const { return counters_; }
  std::size_t cached() const { return lru_.size(); }
  std::size_t capacity() const { return capacity_; }
  const FakeAuthority& authority() const { return *authority_; }

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const ForgedChain>>;

  std::shared_ptr<const FakeAuthority> authority_;
  std::size_t capacity_;
  KeySource keys_;
  ForgerCounters counters_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace mitmlab
