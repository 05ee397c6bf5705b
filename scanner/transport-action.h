// What a sans-I/O measurement core (Scan, Localizer) asks its transport to do. Connection
// ids are chosen by the core and never reused within it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "net/bytes.h"

namespace mitmlab {

using ConnId = std::uint64_t;

// Open a TCP connection (the transport's own stack: kernel socket, ns-3 TCP).
struct ConnectAction {
  ConnId conn;
  std::string address;
  std::uint16_t port;
};
// Send bytes on it. With `ttl`, the IP TTL of the segments carrying these bytes (and of
// what the connection sends after them, until another SendAction sets it again).
struct SendAction {
  ConnId conn;
  Bytes bytes;
  std::optional<std::uint8_t> ttl{};
};
struct CloseAction {
  ConnId conn;
};
// Send one whole IPv4 packet as is (raw-packet transports only).
struct RawPacketAction {
  Bytes ipv4;
};

using TransportAction = std::variant<ConnectAction, SendAction, CloseAction>;

}  // namespace mitmlab
