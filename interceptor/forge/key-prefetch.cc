#include "interceptor/forge/key-prefetch.h"

#include <utility>

namespace mitmlab {

KeyPrefetch::KeyPrefetch(Derive derive, unsigned threads) : derive_(std::move(derive)) {
  workers_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

KeyPrefetch::~KeyPrefetch() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  queued_.notify_all();
  workers_.clear();  // joins; a worker finishes the key it is deriving first
}

KeyPrefetch::Key KeyPrefetch::key_of(ByteView seed, const RsaKeySpec& spec) {
  Key k = std::to_string(spec.bits) + ':' + std::to_string(spec.public_exponent) + ':';
  k.append(seed.begin(), seed.end());
  return k;
}

Result<EvpPkeyPtr> KeyPrefetch::share(const Entry& e) {
  if (e.error) return *e.error;
  if (EVP_PKEY_up_ref(e.key.get()) != 1) return make_error("key prefetch: EVP_PKEY_up_ref failed");
  return EvpPkeyPtr(e.key.get());
}

void KeyPrefetch::enqueue(const std::vector<KeyRequest>& requests) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    for (const KeyRequest& r : requests) {
      Key k = key_of(r.seed, r.spec);
      if (entries_.contains(k)) continue;
      entries_.emplace(k, Entry(r.seed, r.spec));
      queue_.push_back(std::move(k));
      ++counters_.requested;
    }
  }
  queued_.notify_all();
}

void KeyPrefetch::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    queued_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Key k = std::move(queue_.front());
    queue_.pop_front();
    auto it = entries_.find(k);
    if (it == entries_.end() || it->second.state != State::kQueued) continue;  // taken back by get()
    it->second.state = State::kDeriving;
    const Entry& work = it->second;  // map nodes are stable and never erased
    lock.unlock();
    Result<EvpPkeyPtr> key = derive_(work.seed, work.spec);
    lock.lock();
    Entry& e = entries_.at(k);  // entries are never erased
    if (key) e.key = std::move(*key);
    else e.error = key.error();
    e.state = State::kDone;
    ++counters_.derived_by_workers;
    done_.notify_all();
  }
}

Result<EvpPkeyPtr> KeyPrefetch::get(ByteView seed, const RsaKeySpec& spec) {
  Key k = key_of(seed, spec);
  std::unique_lock lock(mutex_);
  auto it = entries_.find(k);
  if (it != entries_.end() && it->second.state == State::kDone) {
    ++counters_.ready;
    return share(it->second);
  }
  if (it != entries_.end() && it->second.state == State::kDeriving) {
    ++counters_.waited;
    done_.wait(lock, [&] { return it->second.state == State::kDone; });
    return share(it->second);
  }
  // Not started (its queue slot is skipped later) or never asked for: derive it here.
  if (it == entries_.end()) it = entries_.emplace(k, Entry(Bytes(seed.begin(), seed.end()), spec)).first;
  it->second.state = State::kDeriving;
  ++counters_.derived_inline;
  lock.unlock();
  Result<EvpPkeyPtr> key = derive_(seed, spec);
  lock.lock();
  if (key) it->second.key = std::move(*key);
  else it->second.error = key.error();
  it->second.state = State::kDone;
  done_.notify_all();
  return share(it->second);
}

KeyPrefetchCounters KeyPrefetch::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

}  // namespace mitmlab
