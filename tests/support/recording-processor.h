// Wraps a PacketProcessor (the engine) in the bump and records every packet that entered
// (with the disposition it got) and every packet the processor injected, so a test can say
// exactly what left the bump on each side.
#pragma once

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "interceptor/bump-io.h"

namespace mitmlab::test {

class RecordingProcessor : public PacketProcessor {
 public:
  struct Entered {
    Timestamp time;
    LinkSide from;
    Bytes ipv4;
    Disposition disposition;
  };

  explicit RecordingProcessor(std::shared_ptr<PacketProcessor> inner = nullptr) : inner_(std::move(inner)) {}
  // For worlds whose processor can only be built after the world (it needs the world's CA).
  void set_inner(std::shared_ptr<PacketProcessor> inner) { inner_ = std::move(inner); }

  Disposition on_packet(Timestamp now, LinkSide from, ByteView ipv4) override {
    const Disposition d = inner_->on_packet(now, from, ipv4);
    entered.push_back({now, from, Bytes(ipv4.begin(), ipv4.end()), d});
    return d;
  }
  std::optional<OutboundPacket> poll_transmit() override {
    std::optional<OutboundPacket> p = inner_->poll_transmit();
    if (p) injected.push_back(*p);
    return p;
  }
  std::optional<Timestamp> next_timeout() const override { return inner_->next_timeout(); }
  void on_timeout(Timestamp now) override { inner_->on_timeout(now); }

  // Packets that left by `side`: forwarded ones that came in on the other side, then injected.
  std::vector<Bytes> left_by(LinkSide side) const {
    std::vector<Bytes> out;
    for (const Entered& e : entered)
      if (e.from != side && e.disposition == Disposition::kForward) out.push_back(e.ipv4);
    for (const OutboundPacket& p : injected)
      if (p.side == side) out.push_back(p.ipv4);
    return out;
  }

  std::vector<Entered> entered;
  std::vector<OutboundPacket> injected;

 private:
  std::shared_ptr<PacketProcessor> inner_;
};

}  // namespace mitmlab::test
