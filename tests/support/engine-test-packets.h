// Scripted TCP conversations for engine tests without ns-3: the datagrams of a client and a
// server on either side of the bump, with ns-3-like options (timestamps, window scale 2,
// SACK-permitted) and correct checksums, so the engine sees what a real link carries.
#pragma once

#include <cstdint>
#include <vector>

#include "interceptor/bump-io.h"
#include "net/bytes.h"
#include "net/ipv4-address.h"
#include "net/tcp-segment.h"

namespace mitmlab::test {

class ScriptedConversation {
 public:
  ScriptedConversation(Ipv4Address client, std::uint16_t client_port, Ipv4Address server,
                       std::uint16_t server_port, std::uint32_t client_isn = 1000,
                       std::uint32_t server_isn = 5000);

  Bytes syn() const;
  Bytes syn_ack() const;
  Bytes ack() const;  // the client's third handshake segment
  // The client's payload at stream offset `offset` (0 is the first byte after the SYN).
  Bytes client_data(ByteView payload, std::uint32_t offset, std::uint8_t ttl = 64) const;
  // The server's payload at its stream offset.
  Bytes server_data(ByteView payload, std::uint32_t offset) const;
  Bytes client_rst(std::uint32_t offset) const;
  Bytes client_fin(std::uint32_t offset) const;
  Bytes server_fin(std::uint32_t offset, std::uint32_t acked_client_bytes) const;

 private:
  TcpOptions syn_options(std::uint32_t tsval, std::uint32_t tsecr) const;
  static TcpOptions ts(std::uint32_t tsval, std::uint32_t tsecr);

  Ipv4Address client_;
  std::uint16_t client_port_;
  Ipv4Address server_;
  std::uint16_t server_port_;
  std::uint32_t client_isn_;
  std::uint32_t server_isn_;
};

// Cuts `payload` into consecutive segments of at most `size` bytes, as client_data packets.
std::vector<Bytes> client_segments(const ScriptedConversation& c, ByteView payload, std::size_t size);

}  // namespace mitmlab::test
