#include "net/reader.h"

namespace mitmlab {

std::optional<ByteView> Reader::take(std::size_t n) {
  if (n > remaining()) return std::nullopt;
  ByteView out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

std::optional<std::uint8_t> Reader::peek_u8() const {
  if (empty()) return std::nullopt;
  return data_[pos_];
}

std::optional<std::uint8_t> Reader::u8() {
  auto b = take(1);
  if (!b) return std::nullopt;
  return (*b)[0];
}

std::optional<std::uint16_t> Reader::u16() {
  auto b = take(2);
  if (!b) return std::nullopt;
  return static_cast<std::uint16_t>(((*b)[0] << 8) | (*b)[1]);
}

std::optional<std::uint32_t> Reader::u24() {
  auto b = take(3);
  if (!b) return std::nullopt;
  return (std::uint32_t{(*b)[0]} << 16) | (std::uint32_t{(*b)[1]} << 8) | (*b)[2];
}

std::optional<std::uint32_t> Reader::u32() {
  auto b = take(4);
  if (!b) return std::nullopt;
  return (std::uint32_t{(*b)[0]} << 24) | (std::uint32_t{(*b)[1]} << 16) |
         (std::uint32_t{(*b)[2]} << 8) | (*b)[3];
}

std::optional<std::uint64_t> Reader::u64() {
  auto hi = u32();
  if (!hi) return std::nullopt;
  auto lo = u32();
  if (!lo) {
    pos_ -= 4;
    return std::nullopt;
  }
  return (std::uint64_t{*hi} << 32) | *lo;
}

std::optional<Reader> Reader::sub(std::size_t n) {
  auto b = take(n);
  if (!b) return std::nullopt;
  return Reader(*b);
}

std::optional<Reader> Reader::sub_u8() {
  std::size_t start = pos_;
  auto n = u8();
  if (!n) return std::nullopt;
  auto r = sub(*n);
  if (!r) pos_ = start;
  return r;
}

std::optional<Reader> Reader::sub_u16() {
  std::size_t start = pos_;
  auto n = u16();
  if (!n) return std::nullopt;
  auto r = sub(*n);
  if (!r) pos_ = start;
  return r;
}

std::optional<Reader> Reader::sub_u24() {
  std::size_t start = pos_;
  auto n = u24();
  if (!n) return std::nullopt;
  auto r = sub(*n);
  if (!r) pos_ = start;
  return r;
}

}  // namespace mitmlab
