// The binary form a shard hands its results in (sim/sharded-run.h, sim/run-results-codec.h,
// sim/run-extras.h). Both ends are the same binary, so it is positional and private; it is
// written and read straight from the structs, without a document tree in between (a full
// run hands over a few hundred MB, and a JSON/CBOR tree of it cost ~10% of the run's CPU).
//
// Every value starts with a kind byte, so bytes of another shape are refused as such; a
// byte string equal to an earlier one (the same certificate in thousands of records) is
// written as a reference to it. Reads are bounds-checked and throw HandOverError, which
// the codecs turn into a Result at their edge.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/bytes.h"

namespace mitmlab {

struct HandOverError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class HandOverWriter {
 public:
  void unsigned_int(std::uint64_t v);
  void signed_int(std::int64_t v);
  void real(double v);
  void boolean(bool v);
  void text(std::string_view v);
  // A byte string. Repeats are found by content and written as references, so `v` must
  // stay alive and unchanged until take().
  void blob(ByteView v);
  // A list (or optional, or map) of n values, written next.
  void list(std::size_t n);
  // A struct of n fields, written next.
  void fields(std::size_t n);

  Bytes take() { return std::move(out_); }

 private:
  void kind(std::uint8_t k) { out_.push_back(k); }
  void varint(std::uint64_t v);
  Bytes out_;
  std::unordered_map<std::string_view, std::uint64_t> blobs_;
};

class HandOverReader {
 public:
  explicit HandOverReader(ByteView data) : data_(data) {}

  std::uint64_t unsigned_int();
  std::int64_t signed_int();
  double real();
  bool boolean();
  std::string text();
  Bytes blob();
  // A list's length; refused when fewer bytes remain than it has values.
  std::size_t list();
  // Reads a struct's field count and refuses any other than `expected`.
  void fields(std::size_t expected, std::string_view type);

  bool at_end() const { return pos_ == data_.size(); }

 private:
  std::uint8_t kind(std::uint8_t expected, const char* what);
  std::uint64_t varint();
  ByteView take(std::uint64_t n);
  ByteView data_;
  std::size_t pos_ = 0;
  std::vector<ByteView> blobs_;
};

}  // namespace mitmlab
