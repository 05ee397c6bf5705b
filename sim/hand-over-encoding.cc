#include "sim/hand-over-encoding.h"

#include <bit>
#include <cstring>

#include <fmt/format.h>

namespace mitmlab {
namespace {

// Kind bytes. A blob reference carries the index of an earlier blob.
enum Kind : std::uint8_t {
  kUnsigned = 1,
  kSigned = 2,
  kReal = 3,
  kFalse = 4,
  kTrue = 5,
  kText = 6,
  kBlob = 7,
  kBlobRef = 8,
  kList = 9,
  kFields = 10,
};

const char* kind_name(std::uint8_t k) {
  switch (k) {
    case kUnsigned: return "an unsigned integer";
    case kSigned: return "an integer";
    case kReal: return "a number";
    case kFalse:
    case kTrue: return "a boolean";
    case kText: return "a string";
    case kBlob:
    case kBlobRef: return "a byte string";
    case kList: return "a list";
    case kFields: return "a struct";
    default: return "an unknown kind";
  }
}

}  // namespace

void HandOverWriter::varint(std::uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<std::uint8_t>(v));
}

void HandOverWriter::unsigned_int(std::uint64_t v) {
  kind(kUnsigned);
  varint(v);
}

void HandOverWriter::signed_int(std::int64_t v) {
  kind(kSigned);
  varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));  // zigzag
}

void HandOverWriter::real(double v) {
  kind(kReal);
  const auto bits = std::bit_cast<std::uint64_t>(v);
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
}

void HandOverWriter::boolean(bool v) { kind(v ? kTrue : kFalse); }

void HandOverWriter::text(std::string_view v) {
  kind(kText);
  varint(v.size());
  out_.insert(out_.end(), v.begin(), v.end());
}

void HandOverWriter::blob(ByteView v) {
  auto [it, fresh] = blobs_.try_emplace(as_chars(v), blobs_.size());
  if (!fresh) {
    kind(kBlobRef);
    varint(it->second);
    return;
  }
  kind(kBlob);
  varint(v.size());
  out_.insert(out_.end(), v.begin(), v.end());
}

void HandOverWriter::list(std::size_t n) {
  kind(kList);
  varint(n);
}

void HandOverWriter::fields(std::size_t n) {
  kind(kFields);
  varint(n);
}

std::uint8_t HandOverReader::kind(std::uint8_t expected, const char* what) {
  if (pos_ >= data_.size()) throw HandOverError(fmt::format("expected {}, found the end", what));
  const std::uint8_t k = data_[pos_];
  if (k != expected) throw HandOverError(fmt::format("expected {}, found {}", what, kind_name(k)));
  ++pos_;
  return k;
}

std::uint64_t HandOverReader::varint() {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= data_.size()) throw HandOverError("truncated number");
    const std::uint8_t b = data_[pos_++];
    if (shift == 63 && b > 1) throw HandOverError("number too large");
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  throw HandOverError("number too long");
}

ByteView HandOverReader::take(std::uint64_t n) {
  if (n > data_.size() - pos_) throw HandOverError(fmt::format("{} bytes announced, {} left", n, data_.size() - pos_));
  const ByteView v = data_.subspan(pos_, static_cast<std::size_t>(n));
  pos_ += static_cast<std::size_t>(n);
  return v;
}

std::uint64_t HandOverReader::unsigned_int() {
  kind(kUnsigned, "an unsigned integer");
  return varint();
}

std::int64_t HandOverReader::signed_int() {
  kind(kSigned, "an integer");
  const std::uint64_t z = varint();
  return static_cast<std::int64_t>(z >> 1) ^ -static_cast<std::int64_t>(z & 1);
}

double HandOverReader::real() {
  kind(kReal, "a number");
  const ByteView b = take(8);
  std::uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits |= static_cast<std::uint64_t>(b[static_cast<std::size_t>(i)]) << (8 * i);
  return std::bit_cast<double>(bits);
}

bool HandOverReader::boolean() {
  if (pos_ < data_.size() && data_[pos_] == kTrue) {
    ++pos_;
    return true;
  }
  kind(kFalse, "a boolean");
  return false;
}

std::string HandOverReader::text() {
  kind(kText, "a string");
  const ByteView b = take(varint());
  return std::string(as_chars(b));
}

Bytes HandOverReader::blob() {
  if (pos_ < data_.size() && data_[pos_] == kBlobRef) {
    ++pos_;
    const std::uint64_t i = varint();
    if (i >= blobs_.size()) throw HandOverError(fmt::format("reference to byte string {} of {}", i, blobs_.size()));
    return Bytes(blobs_[i].begin(), blobs_[i].end());
  }
  kind(kBlob, "a byte string");
  const ByteView b = take(varint());
  blobs_.push_back(b);
  return Bytes(b.begin(), b.end());
}

std::size_t HandOverReader::list() {
  kind(kList, "a list");
  const std::uint64_t n = varint();
  // Every value takes at least its kind byte: a larger count is a lie, refused before
  // anything is allocated for it.
  if (n > data_.size() - pos_) throw HandOverError(fmt::format("a list of {} values in {} bytes", n, data_.size() - pos_));
  return static_cast<std::size_t>(n);
}

void HandOverReader::fields(std::size_t expected, std::string_view type) {
  kind(kFields, "a struct");
  const std::uint64_t n = varint();
  if (n != expected) throw HandOverError(fmt::format("expected {} ({} fields), found {} fields", type, expected, n));
}

}  // namespace mitmlab
