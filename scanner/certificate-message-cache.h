// The chains certificate-stop probes (scanner/probe-stop.h) have read, by the Certificate
// message that carried them, so that a probe meeting the same message again need not hand
// it to OpenSSL: libssl parses every certificate it receives, and in OpenSSL 3.0 decoding
// each one's public key costs more than the rest of such a probe. A scan meets the same
// message again and again (a server's chain for every name tried, every box's forgery for
// every host it hijacks). OpenSSL reads a message the same way every time, so a hit gives
// exactly what its reading would: the chain as it handed it over, and the parsed
// certificates themselves (never modified, so shared).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <openssl/x509.h>

#include "net/bytes.h"
#include "net/openssl.h"

namespace mitmlab {

class CertificateMessageCache {
 public:
  using Key = std::array<std::uint8_t, 32>;  // SHA-256 of the whole message, header included
  struct Chain {
    std::vector<Bytes> der;                             // leaf first, as ProbeResult::chain
    std::vector<std::shared_ptr<X509>> certificates;    // the same, parsed
  };

  // Holds at most `capacity` messages; full, it starts over (a run's probes meet a few
  // thousand chains, and a miss costs only the reading a probe would have done anyway).
  explicit CertificateMessageCache(std::size_t capacity = 4096);
  // The one a process's probes share unless told otherwise, so that later scans find the
  // chains earlier ones read.
  static std::shared_ptr<CertificateMessageCache> process_wide();

  // Nothing if OpenSSL cannot hash (then the probe reads the message the usual way).
  std::optional<Key> key_of(ByteView message) const;
  std::optional<Chain> find(const Key& key);
  void insert(const Key& key, Chain chain);  // a chain whose parsed certificates are all there

  std::uint64_t hits() const;
  std::uint64_t misses() const;

 private:
  mutable std::mutex mutex_;
  std::size_t capacity_;
  OpenSslPtr<EVP_MD, EVP_MD_free> sha256_;  // fetched once, not per message
  std::unordered_map<std::string, Chain> chains_;
  std::uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace mitmlab
