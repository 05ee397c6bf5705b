#include "interceptor/tcp/reassembly-buffer.h"

#include <algorithm>
#include <iterator>

namespace mitmlab {

ReassemblyBuffer::Insert ReassemblyBuffer::insert(std::uint64_t floor, std::uint64_t offset,
                                                  ByteView bytes) {
  std::uint64_t begin = std::max(floor, offset);
  std::uint64_t end = offset + bytes.size();
  if (begin >= end) return Insert::kDuplicate;

  // The gaps of [begin, end) not covered by held pieces: only those are new.
  struct Gap {
    std::uint64_t begin, end;
  };
  std::vector<Gap> gaps;
  std::uint64_t cursor = begin;
  auto it = pieces_.upper_bound(begin);
  if (it != pieces_.begin()) --it;
  for (; it != pieces_.end() && it->first < end; ++it) {
    std::uint64_t p_begin = it->first;
    std::uint64_t p_end = p_begin + it->second.size();
    if (p_end <= cursor) continue;
    if (p_begin > cursor) gaps.push_back({cursor, p_begin});
    cursor = std::max(cursor, p_end);
    if (cursor >= end) break;
  }
  if (cursor < end) gaps.push_back({cursor, end});

  std::size_t fresh = 0;
  for (const Gap& g : gaps) fresh += static_cast<std::size_t>(g.end - g.begin);
  if (fresh == 0) return Insert::kDuplicate;
  if (bytes_ + fresh > cap_) return Insert::kOverCap;

  for (const Gap& g : gaps) {
    ByteView part = bytes.subspan(static_cast<std::size_t>(g.begin - offset),
                                  static_cast<std::size_t>(g.end - g.begin));
    pieces_.emplace(g.begin, Bytes(part.begin(), part.end()));
  }
  bytes_ += fresh;
  return Insert::kStored;
}

Bytes ReassemblyBuffer::pop_contiguous(std::uint64_t offset) {
  Bytes out;
  std::uint64_t cursor = offset;
  while (!pieces_.empty()) {
    auto it = pieces_.begin();
    std::uint64_t p_begin = it->first;
    std::uint64_t p_end = p_begin + it->second.size();
    if (p_begin > cursor) break;  // a gap remains
    if (p_end > cursor) {
      ByteView tail = ByteView(it->second).subspan(static_cast<std::size_t>(cursor - p_begin));
      out.insert(out.end(), tail.begin(), tail.end());
      cursor = p_end;
    }
    bytes_ -= it->second.size();
    pieces_.erase(it);
  }
  return out;
}

std::vector<ReassemblyBuffer::Range> ReassemblyBuffer::ranges() const {
  std::vector<Range> out;
  for (const auto& [begin, piece] : pieces_) {
    std::uint64_t end = begin + piece.size();
    if (!out.empty() && out.back().end == begin)
      out.back().end = end;
    else
      out.push_back({begin, end});
  }
  return out;
}

}  // namespace mitmlab
