// The contract between a bump in the wire and whatever drives it (the ns-3 bump node,
// a Linux bridge). The driver hands over every IPv4 packet from either side of the link;
// the processor says forward or drop, and queues packets of its own to inject.
// Outputs are values the driver drains (poll_transmit); nothing calls back into the driver.
#pragma once

#include <cstdint>
#include <optional>

#include "net/bytes.h"
#include "net/clock.h"

namespace mitmlab {

// The two sides of the bumped link. A packet arriving on side A leaves by side B.
enum class LinkSide : std::uint8_t { kA = 0, kB = 1 };

inline LinkSide other_side(LinkSide s) { return s == LinkSide::kA ? LinkSide::kB : LinkSide::kA; }

enum class Disposition : std::uint8_t { kForward, kDrop };

struct OutboundPacket {
  LinkSide side;  // the side to send it out of
  Bytes ipv4;     // a whole IPv4 datagram
};

class PacketProcessor {
 public:
  virtual ~PacketProcessor() = default;
  // A packet arrived on `from`. kForward sends it unchanged out of the other side.
  virtual Disposition on_packet(Timestamp now, LinkSide from, ByteView ipv4) = 0;
  // Packets the processor wants sent, drained by the driver after every call.
  virtual std::optional<OutboundPacket> poll_transmit() = 0;
  // The earliest time on_timeout should be called, if any.
  virtual std::optional<Timestamp> next_timeout() const = 0;
  // Called at or after next_timeout(); an early or extra call is a no-op.
  virtual void on_timeout(Timestamp now) = 0;
};

}  // namespace mitmlab
