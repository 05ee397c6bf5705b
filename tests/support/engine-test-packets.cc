#include "tests/support/engine-test-packets.h"

#include <algorithm>

namespace mitmlab::test {

ScriptedConversation::ScriptedConversation(Ipv4Address client, std::uint16_t client_port, Ipv4Address server,
                                           std::uint16_t server_port, std::uint32_t client_isn,
                                           std::uint32_t server_isn)
    : client_(client),
      client_port_(client_port),
      server_(server),
      server_port_(server_port),
      client_isn_(client_isn),
      server_isn_(server_isn) {}

TcpOptions ScriptedConversation::ts(std::uint32_t tsval, std::uint32_t tsecr) {
  return {TcpNop{}, TcpNop{}, TcpTimestamps{tsval, tsecr}};
}

TcpOptions ScriptedConversation::syn_options(std::uint32_t tsval, std::uint32_t tsecr) const {
  return {TcpSackPermitted{}, TcpTimestamps{tsval, tsecr}, TcpNop{}, TcpWindowScale{2}};
}

Bytes ScriptedConversation::syn() const {
  return build_tcp_packet({.source = client_, .source_port = client_port_, .destination = server_,
                           .destination_port = server_port_, .seq = client_isn_, .flags = tcp_flag::kSyn,
                           .window = 65535, .options = syn_options(100, 0)});
}

Bytes ScriptedConversation::syn_ack() const {
  return build_tcp_packet({.source = server_, .source_port = server_port_, .destination = client_,
                           .destination_port = client_port_, .seq = server_isn_, .ack = client_isn_ + 1,
                           .flags = tcp_flag::kSyn | tcp_flag::kAck, .window = 65535,
                           .options = syn_options(200, 100)});
}

Bytes ScriptedConversation::ack() const {
  return build_tcp_packet({.source = client_, .source_port = client_port_, .destination = server_,
                           .destination_port = server_port_, .seq = client_isn_ + 1, .ack = server_isn_ + 1,
                           .flags = tcp_flag::kAck, .window = 16384, .options = ts(110, 200)});
}

Bytes ScriptedConversation::client_data(ByteView payload, std::uint32_t offset, std::uint8_t ttl) const {
  return build_tcp_packet({.source = client_, .source_port = client_port_, .destination = server_,
                           .destination_port = server_port_, .seq = client_isn_ + 1 + offset,
                           .ack = server_isn_ + 1, .flags = tcp_flag::kAck | tcp_flag::kPsh, .window = 16384,
                           .options = ts(120 + offset, 200), .payload = payload, .ttl = ttl});
}

Bytes ScriptedConversation::server_data(ByteView payload, std::uint32_t offset) const {
  return build_tcp_packet({.source = server_, .source_port = server_port_, .destination = client_,
                           .destination_port = client_port_, .seq = server_isn_ + 1 + offset,
                           .ack = client_isn_ + 1, .flags = tcp_flag::kAck | tcp_flag::kPsh, .window = 16384,
                           .options = ts(210 + offset, 120), .payload = payload});
}

Bytes ScriptedConversation::client_rst(std::uint32_t offset) const {
  return build_tcp_packet({.source = client_, .source_port = client_port_, .destination = server_,
                           .destination_port = server_port_, .seq = client_isn_ + 1 + offset,
                           .flags = tcp_flag::kRst});
}

Bytes ScriptedConversation::client_fin(std::uint32_t offset) const {
  return build_tcp_packet({.source = client_, .source_port = client_port_, .destination = server_,
                           .destination_port = server_port_, .seq = client_isn_ + 1 + offset,
                           .ack = server_isn_ + 1, .flags = tcp_flag::kAck | tcp_flag::kFin, .window = 16384,
                           .options = ts(300, 200)});
}

Bytes ScriptedConversation::server_fin(std::uint32_t offset, std::uint32_t acked_client_bytes) const {
  return build_tcp_packet({.source = server_, .source_port = server_port_, .destination = client_,
                           .destination_port = client_port_, .seq = server_isn_ + 1 + offset,
                           .ack = client_isn_ + 1 + acked_client_bytes, .flags = tcp_flag::kAck | tcp_flag::kFin,
                           .window = 16384, .options = ts(400, 300)});
}

std::vector<Bytes> client_segments(const ScriptedConversation& c, ByteView payload, std::size_t size) {
  std::vector<Bytes> out;
  for (std::size_t at = 0; at < payload.size(); at += size) {
    const std::size_t n = std::min(size, payload.size() - at);
    out.push_back(c.client_data(payload.subspan(at, n), static_cast<std::uint32_t>(at)));
  }
  return out;
}

}  // namespace mitmlab::test
