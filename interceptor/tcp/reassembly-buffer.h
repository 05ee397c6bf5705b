// Out-of-order data held until the gap before it is filled. Positions are 64-bit stream
// offsets (the endpoint unwraps sequence numbers), so no wrap-around logic lives here.
// Bounded: a piece that would take the total past the cap is refused, and the sender has to
// retransmit it later; that keeps a hostile or lossy peer from growing us without limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "net/bytes.h"

namespace mitmlab {

class ReassemblyBuffer {
 public:
  explicit ReassemblyBuffer(std::size_t cap_bytes) : cap_(cap_bytes) {}

  enum class Insert : std::uint8_t {
    kStored,     // at least one new byte kept
    kDuplicate,  // every byte was already held
    kOverCap,    // refused: the new bytes would exceed the cap
  };
  // Keeps the bytes of [offset, offset + size) not already held. Bytes before `floor` (already
  // delivered) are ignored.
  Insert insert(std::uint64_t floor, std::uint64_t offset, ByteView bytes);

  // If a held piece starts at or before `offset` and extends past it, removes and returns the
  // contiguous run of bytes starting at `offset`. Pieces wholly before `offset` are discarded.
  Bytes pop_contiguous(std::uint64_t offset);

  struct Range {
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
  };
  // Held ranges, adjacent pieces merged, in stream order (for SACK blocks).
  std::vector<Range> ranges() const;

  std::size_t bytes() const { return bytes_; }
  bool empty() const { return pieces_.empty(); }
  std::size_t cap() const { return cap_; }

 private:
  std::size_t cap_;
  std::size_t bytes_ = 0;
  std::map<std::uint64_t, Bytes> pieces_;  // start offset -> bytes; pieces never overlap
};

}  // namespace mitmlab
