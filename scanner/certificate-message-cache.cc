#include "scanner/certificate-message-cache.h"

#include <algorithm>

#include <openssl/evp.h>

namespace mitmlab {

CertificateMessageCache::CertificateMessageCache(std::size_t capacity)
    : capacity_(std::max<std::size_t>(1, capacity)), sha256_(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {}

std::shared_ptr<CertificateMessageCache> CertificateMessageCache::process_wide() {
  static const auto cache = std::make_shared<CertificateMessageCache>();
  return cache;
}

std::optional<CertificateMessageCache::Key> CertificateMessageCache::key_of(ByteView message) const {
  Key key{};
  unsigned int n = 0;
  if (!sha256_ || EVP_Digest(message.data(), message.size(), key.data(), &n, sha256_.get(), nullptr) != 1 ||
      n != key.size())
    return std::nullopt;
  return key;
}

std::optional<CertificateMessageCache::Chain> CertificateMessageCache::find(const Key& key) {
  std::lock_guard lock(mutex_);
  auto it = chains_.find(std::string(key.begin(), key.end()));
  if (it == chains_.end()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  return it->second;
}

void CertificateMessageCache::insert(const Key& key, Chain chain) {
  if (chain.der.empty() || chain.certificates.size() != chain.der.size()) return;
  std::lock_guard lock(mutex_);
  if (chains_.size() >= capacity_) chains_.clear();
  chains_.insert_or_assign(std::string(key.begin(), key.end()), std::move(chain));
}

std::uint64_t CertificateMessageCache::hits() const {
  std::lock_guard lock(mutex_);
  return hits_;
}

std::uint64_t CertificateMessageCache::misses() const {
  std::lock_guard lock(mutex_);
  return misses_;
}

}  // namespace mitmlab
