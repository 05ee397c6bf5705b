// An append-only big-endian writer with length-prefixed blocks.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/bytes.h"

namespace mitmlab {

class Writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v);
  void u24(std::uint32_t v);
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  void bytes(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void zeros(std::size_t n) { out_.insert(out_.end(), n, 0); }

  // Writes a length prefix of `width` bytes (1, 2 or 3), runs body, then fills in the length.
  template <typename Body>
  void with_length(int width, Body&& body) {
    std::size_t at = out_.size();
    zeros(static_cast<std::size_t>(width));
    body();
    patch_length(at, width, out_.size() - at - static_cast<std::size_t>(width));
  }

  // Overwrites a big-endian u16 already written at `at` (checksums, lengths).
  void put_u16_at(std::size_t at, std::uint16_t v);

  std::size_t size() const { return out_.size(); }
  const Bytes& data() const { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  void patch_length(std::size_t at, int width, std::size_t length);
  Bytes out_;
};

}  // namespace mitmlab
