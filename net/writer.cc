#include "net/writer.h"

#include <stdexcept>

namespace mitmlab {

void Writer::u16(std::uint16_t v) {
  out_.push_back(static_cast<std::uint8_t>(v >> 8));
  out_.push_back(static_cast<std::uint8_t>(v));
}

void Writer::u24(std::uint32_t v) {
  out_.push_back(static_cast<std::uint8_t>(v >> 16));
  out_.push_back(static_cast<std::uint8_t>(v >> 8));
  out_.push_back(static_cast<std::uint8_t>(v));
}

void Writer::u32(std::uint32_t v) {
  u16(static_cast<std::uint16_t>(v >> 16));
  u16(static_cast<std::uint16_t>(v));
}

void Writer::u64(std::uint64_t v) {
  u32(static_cast<std::uint32_t>(v >> 32));
  u32(static_cast<std::uint32_t>(v));
}

void Writer::put_u16_at(std::size_t at, std::uint16_t v) {
  out_.at(at) = static_cast<std::uint8_t>(v >> 8);
  out_.at(at + 1) = static_cast<std::uint8_t>(v);
}

void Writer::patch_length(std::size_t at, int width, std::size_t length) {
  // Our own builders never exceed a prefix; a violation is a programming error.
  if (width < 1 || width > 3 || length >= (std::size_t{1} << (8 * width)))
    throw std::length_error("Writer: block too long for its length prefix");
  for (int i = width - 1; i >= 0; --i) {
    out_[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(length);
    length >>= 8;
  }
}

}  // namespace mitmlab
