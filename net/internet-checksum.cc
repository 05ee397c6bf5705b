#include "net/internet-checksum.h"

namespace mitmlab {

void InternetChecksum::add(ByteView bytes) {
  for (std::uint8_t b : bytes) {
    sum_ += odd_ ? std::uint64_t{b} : std::uint64_t{b} << 8;
    odd_ = !odd_;
  }
}

void InternetChecksum::add_u16(std::uint16_t v) {
  const std::uint8_t be[2] = {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  add(be);
}

void InternetChecksum::add_u32(std::uint32_t v) {
  add_u16(static_cast<std::uint16_t>(v >> 16));
  add_u16(static_cast<std::uint16_t>(v));
}

std::uint16_t InternetChecksum::finish() const {
  // A 64-bit accumulator cannot overflow for any packet size, so folding once at the end
  // is enough.
  std::uint64_t s = sum_;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(~s & 0xffff);
}

std::uint16_t internet_checksum(ByteView bytes) {
  InternetChecksum sum;
  sum.add(bytes);
  return sum.finish();
}

}  // namespace mitmlab
