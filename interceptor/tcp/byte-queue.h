// A FIFO of bytes with random read access from the front: the send buffer (bytes kept until
// acknowledged) and the receive stream (bytes kept until the application reads them).
// Consumed bytes are reclaimed in bulk so that consuming is O(1) amortized.
#pragma once

#include <algorithm>
#include <cstddef>

#include "net/bytes.h"

namespace mitmlab {

class ByteQueue {
 public:
  std::size_t size() const { return data_.size() - head_; }
  bool empty() const { return size() == 0; }

  void append(ByteView bytes) { data_.insert(data_.end(), bytes.begin(), bytes.end()); }

  // Up to `length` bytes starting `offset` bytes after the front; valid until the next change.
  ByteView view(std::size_t offset, std::size_t length) const {
    if (offset >= size()) return {};
    length = std::min(length, size() - offset);
    return ByteView(data_).subspan(head_ + offset, length);
  }

  void consume(std::size_t n) {
    head_ += std::min(n, size());
    // Compact once the dead prefix dominates, so memory stays proportional to the live bytes.
    if (head_ >= kCompactAt && head_ * 2 >= data_.size()) {
      data_.erase(data_.begin(), data_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  Bytes take(std::size_t max) {
    ByteView v = view(0, max);
    Bytes out(v.begin(), v.end());
    consume(out.size());
    return out;
  }

 private:
  static constexpr std::size_t kCompactAt = 16 * 1024;
  Bytes data_;
  std::size_t head_ = 0;
};

}  // namespace mitmlab
