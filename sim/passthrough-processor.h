// A PacketProcessor that forwards everything and counts it: the bump with the
// interceptor switched off, and the baseline in tests.
#pragma once

#include <cstdint>
#include <optional>

#include "interceptor/bump-io.h"

namespace mitmlab {

class PassthroughProcessor : public PacketProcessor {
 public:
  struct Counters {
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
  };

  Disposition on_packet(Timestamp, LinkSide from, ByteView ipv4) override {
    Counters& c = from == LinkSide::kA ? from_a_ : from_b_;
    ++c.packets;
    c.bytes += ipv4.size();
    return Disposition::kForward;
  }
  std::optional<OutboundPacket> poll_transmit() override { return std::nullopt; }
  std::optional<Timestamp> next_timeout() const override { return std::nullopt; }
  void on_timeout(Timestamp) override {}

  const Counters& from(LinkSide side) const { return side == LinkSide::kA ? from_a_ : from_b_; }

 private:
  Counters from_a_;
  Counters from_b_;
};

}  // namespace mitmlab
