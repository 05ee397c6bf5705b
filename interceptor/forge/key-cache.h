// An optional on-disk cache in front of derive_rsa_key: deriving an RSA-2048 key costs
// milliseconds, loading one costs microseconds, and a scenario that forges for thousands of
// hosts derives the same keys on every run.
//
// A hit returns exactly the key a miss would derive: the file name binds (seed, spec, the
// derivation's version), and a file is used only if its stored digest matches its contents
// and the key inside has the requested size and exponent. Anything else (truncated file,
// flipped bit, foreign file) is counted, reported through take_problems(), derived again
// and rewritten: the cache is never trusted blindly. The digest detects corruption, not
// tampering; the directory is the user's own.
//
// File (text): "mitmlab key cache v1\n" "sha256 <64 hex digits>\n" then the key as an
// unencrypted PKCS#8 PEM block; the digest is SHA-256(file name || "\n" || PEM block as stored).
// Writes go to a unique temporary file in the same directory, then rename() it into place,
// so readers see either no file or a whole one. Several threads (or processes) may use the
// same directory at once; racing writers write identical bytes.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "interceptor/forge/rsa-key-derivation.h"
#include "net/bytes.h"
#include "net/openssl.h"
#include "net/result.h"

namespace mitmlab {

struct KeyCacheCounters {
  std::uint64_t hits = 0;            // keys loaded from a valid file
  std::uint64_t misses = 0;          // keys derived because no file existed (or no directory)
  std::uint64_t corrupt = 0;         // files rejected (digest, format, key mismatch) and re-derived
  std::uint64_t write_failures = 0;  // derived keys that could not be stored (the key is still returned)
};

// Lower-case hex of SHA-256("mitmlab/key-cache/v1" || 0x00 || derivation label || 0x00
// || u32(bits) || u64(e) || seed), plus ".pem". The derivation label changes whenever the
// construction does, so old files are never mistaken for new keys.
std::string key_cache_file_name(ByteView seed, const RsaKeySpec& spec);

class KeyCache {
 public:
  // No directory: every get() derives and counts a miss.
  KeyCache() = default;
  // The directory is created on the first write if it does not exist.
  explicit KeyCache(std::filesystem::path directory);

  KeyCache(const KeyCache&) = delete;
  KeyCache& operator=(const KeyCache&) = delete;

  // The key derive_rsa_key(seed, spec) returns, from the cache when a valid file exists.
  // Errors only when derivation itself fails (e.g. an unsupported spec); cache trouble is
  // counted and reported, never an error.
  Result<EvpPkeyPtr> get(ByteView seed, const RsaKeySpec& spec);

  bool enabled() const { return !directory_.empty(); }
  const std::filesystem::path& directory() const { return directory_; }
  // Where the key for (seed, spec) is stored (empty when the cache is disabled).
  std::filesystem::path path_for(ByteView seed, const RsaKeySpec& spec) const;

  KeyCacheCounters counters() const;
  // One line per rejected file or failed write since the last call, oldest first.
  std::vector<std::string> take_problems();
  // Counts and problems of another process that used the same cache (a sharded run's
  // shards), so that one report covers the whole run.
  void absorb(const KeyCacheCounters& counters, std::vector<std::string> problems);

 private:
  enum class Load { kHit, kAbsent, kCorrupt };
  Load load(const std::filesystem::path& path, const RsaKeySpec& spec, EvpPkeyPtr& out);
  void store(const std::filesystem::path& path, const EVP_PKEY* key);
  void report(std::string problem);

  std::filesystem::path directory_;
  std::atomic<std::uint64_t> hits_{0}, misses_{0}, corrupt_{0}, write_failures_{0};
  std::mutex problems_mutex_;
  std::vector<std::string> problems_;  // guarded by problems_mutex_
};

}  // namespace mitmlab
