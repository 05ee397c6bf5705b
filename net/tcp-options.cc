#include "net/tcp-options.h"

#include <stdexcept>

#include "net/reader.h"

namespace mitmlab {

namespace {

// Decodes a known option if its body has the length the RFC gives it; otherwise the caller
// keeps it raw.
std::optional<TcpOption> decode_known(std::uint8_t kind, ByteView body) {
  Reader r(body);
  switch (kind) {
    case tcp_option_kind::kMss:
      if (body.size() == 2) return TcpMss{*r.u16()};
      break;
    case tcp_option_kind::kWindowScale:
      if (body.size() == 1) return TcpWindowScale{*r.u8()};
      break;
    case tcp_option_kind::kSackPermitted:
      if (body.empty()) return TcpSackPermitted{};
      break;
    case tcp_option_kind::kSack:
      if (!body.empty() && body.size() % 8 == 0) {
        TcpSack sack;
        while (!r.empty()) {
          std::uint32_t left = *r.u32();
          std::uint32_t right = *r.u32();
          sack.blocks.push_back({left, right});
        }
        return sack;
      }
      break;
    case tcp_option_kind::kTimestamps:
      if (body.size() == 8) {
        std::uint32_t value = *r.u32();
        return TcpTimestamps{value, *r.u32()};
      }
      break;
    default:
      break;
  }
  return std::nullopt;
}

}  // namespace

Result<TcpOptions> parse_tcp_options(ByteView area, PacketError* kind) {
  TcpOptions options;
  Reader r(area);
  while (!r.empty()) {
    std::size_t at = r.offset();
    std::uint8_t k = *r.u8();
    if (k == tcp_option_kind::kEndOfOptions) {
      ByteView rest = r.rest();
      options.push_back(TcpEndOfOptions{Bytes(rest.begin(), rest.end())});
      break;
    }
    if (k == tcp_option_kind::kNop) {
      options.push_back(TcpNop{});
      continue;
    }
    auto length = r.u8();
    if (!length)
      return packet_error(kind, PacketError::kBadOption,
                          "TCP: option kind {} at offset {} has no length byte", k, at);
    if (*length < 2)
      return packet_error(kind, PacketError::kBadOption,
                          "TCP: option kind {} at offset {} declares length {} (minimum 2)", k,
                          at, *length);
    auto body = r.take(*length - 2u);
    if (!body)
      return packet_error(kind, PacketError::kBadOption,
                          "TCP: option kind {} at offset {} declares length {}, {} bytes left", k,
                          at, *length, area.size() - at);
    if (auto known = decode_known(k, *body))
      options.push_back(std::move(*known));
    else
      options.push_back(TcpUnknownOption{k, Bytes(body->begin(), body->end())});
  }
  return options;
}

namespace {

struct OptionSize {
  std::size_t operator()(const TcpEndOfOptions& o) const { return 1 + o.padding.size(); }
  std::size_t operator()(const TcpNop&) const { return 1; }
  std::size_t operator()(const TcpMss&) const { return 4; }
  std::size_t operator()(const TcpWindowScale&) const { return 3; }
  std::size_t operator()(const TcpSackPermitted&) const { return 2; }
  std::size_t operator()(const TcpSack& o) const { return 2 + 8 * o.blocks.size(); }
  std::size_t operator()(const TcpTimestamps&) const { return 10; }
  std::size_t operator()(const TcpUnknownOption& o) const { return 2 + o.data.size(); }
};

struct OptionWriter {
  Writer& out;
  void length(std::size_t n) const {
    if (n > 0xff) throw std::length_error("TCP: option longer than 255 bytes");
    out.u8(static_cast<std::uint8_t>(n));
  }
  void operator()(const TcpEndOfOptions& o) const {
    out.u8(tcp_option_kind::kEndOfOptions);
    out.bytes(o.padding);
  }
  void operator()(const TcpNop&) const { out.u8(tcp_option_kind::kNop); }
  void operator()(const TcpMss& o) const {
    out.u8(tcp_option_kind::kMss);
    out.u8(4);
    out.u16(o.value);
  }
  void operator()(const TcpWindowScale& o) const {
    out.u8(tcp_option_kind::kWindowScale);
    out.u8(3);
    out.u8(o.shift);
  }
  void operator()(const TcpSackPermitted&) const {
    out.u8(tcp_option_kind::kSackPermitted);
    out.u8(2);
  }
  void operator()(const TcpSack& o) const {
    out.u8(tcp_option_kind::kSack);
    length(2 + 8 * o.blocks.size());
    for (const TcpSackBlock& b : o.blocks) {
      out.u32(b.left);
      out.u32(b.right);
    }
  }
  void operator()(const TcpTimestamps& o) const {
    out.u8(tcp_option_kind::kTimestamps);
    out.u8(10);
    out.u32(o.value);
    out.u32(o.echo_reply);
  }
  void operator()(const TcpUnknownOption& o) const {
    out.u8(o.kind);
    length(2 + o.data.size());
    out.bytes(o.data);
  }
};

}  // namespace

std::size_t tcp_options_length(std::span<const TcpOption> options) {
  std::size_t n = 0;
  for (const TcpOption& o : options) n += std::visit(OptionSize{}, o);
  return n;
}

void write_tcp_options(Writer& out, std::span<const TcpOption> options) {
  for (const TcpOption& o : options) std::visit(OptionWriter{out}, o);
}

TcpOptionSummary summarize_tcp_options(const TcpOptions& options) {
  TcpOptionSummary s;
  if (auto* o = find_tcp_option<TcpMss>(options)) s.mss = o->value;
  if (auto* o = find_tcp_option<TcpWindowScale>(options)) s.window_scale = o->shift;
  s.sack_permitted = find_tcp_option<TcpSackPermitted>(options) != nullptr;
  if (auto* o = find_tcp_option<TcpTimestamps>(options)) s.timestamps = *o;
  if (auto* o = find_tcp_option<TcpSack>(options)) s.sack_blocks = o->blocks;
  return s;
}

}  // namespace mitmlab
