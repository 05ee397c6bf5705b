// The Internet checksum (RFC 1071): the one's-complement of the one's-complement sum of
// 16-bit big-endian words. IPv4 headers, TCP (with its pseudo-header) and ICMP all use it.
#pragma once

#include <cstdint>

#include "net/bytes.h"

namespace mitmlab {

// Accumulates the sum over several pieces (pseudo-header, header, payload) without copying
// them into one buffer. Pieces of odd length are fine: the next piece continues mid-word.
class InternetChecksum {
 public:
  void add(ByteView bytes);
  void add_u16(std::uint16_t v);
  void add_u32(std::uint32_t v);
  // The value to write into a checksum field. Summing a region that already contains a
  // correct checksum gives 0 here, which is how verification works.
  std::uint16_t finish() const;

 private:
  std::uint64_t sum_ = 0;
  bool odd_ = false;  // the last piece ended mid-word; the next byte is a low byte
};

// The checksum of one contiguous region.
std::uint16_t internet_checksum(ByteView bytes);

}  // namespace mitmlab
