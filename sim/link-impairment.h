// Loss and reordering of one link, as a PacketProcessor for the bump node that the world
// builder puts on every impaired link (sim/bump-node.h: no IP stack, no TTL change, so the
// impairment is as invisible to traceroute as the wire). On a link that also has an
// interceptor, the impairment wraps the Engine: a packet first survives the wire (or not),
// then reaches the engine; packets the engine injects are not impaired.
//
// Each packet, in each direction: dropped with probability `loss`; otherwise held back
// `reorder_delay` with probability `reorder` (later packets overtake it). Draws come from a
// splitmix64 stream of its own, seeded per link from the scenario seed and the link's name:
// the same scenario and seed give the same losses, and adding a link elsewhere does not
// shift this link's draws (as ns-3's global stream numbering would).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string_view>

#include "interceptor/bump-io.h"
#include "net/clock.h"

namespace mitmlab {

struct ImpairmentSpec {
  double loss = 0.0;
  double reorder = 0.0;
  Duration reorder_delay{};
  bool active() const { return loss > 0.0 || reorder > 0.0; }
};

// A seed for one link's stream: a hash of the scenario seed and the link's name.
std::uint64_t impairment_seed(std::uint64_t scenario_seed, std::string_view link_name);

class LinkImpairment : public PacketProcessor {
 public:
  struct Counters {
    std::uint64_t packets = 0;
    std::uint64_t lost = 0;
    std::uint64_t reordered = 0;  // held back, then released
  };

  // `inner` (may be null) sees every packet that survives; its verdict and its own
  // packets are passed on.
  LinkImpairment(ImpairmentSpec spec, std::uint64_t seed, std::shared_ptr<PacketProcessor> inner = nullptr);

  Disposition on_packet(Timestamp now, LinkSide from, ByteView ipv4) override;
  std::optional<OutboundPacket> poll_transmit() override;
  std::optional<Timestamp> next_timeout() const override;
  void on_timeout(Timestamp now) override;

  const Counters& counters() const { return counters_; }

 private:
  struct Held {
    Timestamp due;
    LinkSide from;
    Bytes ipv4;
  };
  double draw();  // uniform in [0, 1)
  Disposition deliver(Timestamp now, LinkSide from, ByteView ipv4);

  ImpairmentSpec spec_;
  std::uint64_t state_;
  std::shared_ptr<PacketProcessor> inner_;
  std::deque<Held> held_;  // due times ascend: the delay is constant
  std::deque<OutboundPacket> out_;
  Counters counters_;
};

}  // namespace mitmlab
