// A bounded cursor over untrusted bytes. Every read checks the bounds and reports
// failure as an empty optional; nothing reads past the span it was given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "net/bytes.h"

namespace mitmlab {

class Reader {
 public:
  explicit Reader(ByteView data) : data_(data) {}

  std::size_t remaining() const { return data_.size() - pos_; }
  std::size_t offset() const { return pos_; }
  bool empty() const { return remaining() == 0; }
  // True when every byte was consumed; parsers call it to reject trailing junk.
  bool expect_empty() const { return empty(); }
  ByteView rest() const { return data_.subspan(pos_); }

  std::optional<std::uint8_t> u8();
  std::optional<std::uint16_t> u16();  // big-endian, as on the wire
  std::optional<std::uint32_t> u24();
  std::optional<std::uint32_t> u32();
  std::optional<std::uint64_t> u64();

  // The next n bytes, or nothing if fewer remain (the cursor then does not move).
  std::optional<ByteView> take(std::size_t n);
  bool skip(std::size_t n) { return take(n).has_value(); }
  std::optional<std::uint8_t> peek_u8() const;

  // A reader over the next n bytes; this reader moves past them.
  std::optional<Reader> sub(std::size_t n);
  // A reader over a block whose length is given by a 1-, 2- or 3-byte prefix.
  std::optional<Reader> sub_u8();
  std::optional<Reader> sub_u16();
  std::optional<Reader> sub_u24();

 private:
  ByteView data_;
  std::size_t pos_ = 0;
};

}  // namespace mitmlab
