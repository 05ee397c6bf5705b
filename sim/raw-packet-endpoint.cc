#include "sim/raw-packet-endpoint.h"

#include <vector>

#include <ns3/boolean.h>
#include <ns3/inet-socket-address.h>
#include <ns3/ipv4-end-point.h>
#include <ns3/ipv4-raw-socket-factory.h>
#include <ns3/ipv4.h>
#include <ns3/packet.h>
#include <ns3/socket.h>
#include <ns3/tcp-l4-protocol.h>
#include <ns3/uinteger.h>

#include "net/ipv4-packet.h"
#include "net/tcp-segment.h"

namespace mitmlab {

namespace {
ns3::Ipv4Address ToNs3(Ipv4Address a) { return ns3::Ipv4Address(a.value); }
}  // namespace

struct RawPacketEndpoint::Impl {
  struct Claim {
    Ipv4Address peer;
    std::uint16_t local_port = 0, peer_port = 0;
    ns3::Ipv4EndPoint* endpoint = nullptr;  // owned by the node's TCP; null once it freed it
  };

  ns3::Ptr<ns3::Node> node;
  Ipv4Address address;
  std::function<void(ByteView)> on_packet;
  ns3::Ptr<ns3::Socket> tcp_socket, icmp_socket;  // tcp_socket also sends
  ns3::Ptr<ns3::TcpL4Protocol> tcp;
  std::vector<std::unique_ptr<Claim>> claims;
  RawPacketEndpointStats stats;

  void Receive(ns3::Ptr<ns3::Socket> socket) {
    Bytes buf;
    while (ns3::Ptr<ns3::Packet> p = socket->Recv()) {
      buf.resize(p->GetSize());
      p->CopyData(buf.data(), p->GetSize());
      ++stats.received;
      on_packet(ByteView(buf.data(), buf.size()));
    }
  }

  void ClaimTuple(const std::shared_ptr<Impl>& self, const TcpHeader& tcp_header, Ipv4Address peer) {
    for (const auto& c : claims)
      if (c->endpoint && c->local_port == tcp_header.source_port && c->peer == peer &&
          c->peer_port == tcp_header.destination_port)
        return;
    ns3::Ipv4EndPoint* ep =
        tcp->Allocate(nullptr, ToNs3(address), tcp_header.source_port, ToNs3(peer), tcp_header.destination_port);
    if (!ep) {
      ++stats.claim_failures;
      return;
    }
    ++stats.claims;
    auto claim = std::make_unique<Claim>(Claim{peer, tcp_header.source_port, tcp_header.destination_port, ep});
    std::weak_ptr<Impl> weak = self;
    ep->SetRxCallback(ns3::Callback<void, ns3::Ptr<ns3::Packet>, ns3::Ipv4Header, std::uint16_t, ns3::Ptr<ns3::Ipv4Interface>>(
        [weak](ns3::Ptr<ns3::Packet>, ns3::Ipv4Header, std::uint16_t, ns3::Ptr<ns3::Ipv4Interface>) {
          if (auto s = weak.lock()) ++s->stats.swallowed;
        }));
    // The node's TCP frees its endpoints when the simulation is destroyed.
    Claim* raw = claim.get();
    ep->SetDestroyCallback(ns3::Callback<void>([weak, raw] {
      if (auto s = weak.lock()) raw->endpoint = nullptr;
    }));
    claims.push_back(std::move(claim));
  }

  void ReleaseClaims() {
    for (auto& c : claims) {
      if (!c->endpoint) continue;
      c->endpoint->SetDestroyCallback(ns3::MakeNullCallback<void>());
      tcp->DeAllocate(c->endpoint);
    }
    claims.clear();
  }
};

Result<std::unique_ptr<RawPacketEndpoint>> RawPacketEndpoint::Create(ns3::Ptr<ns3::Node> node, Ipv4Address address,
                                                                     std::function<void(ByteView)> on_packet) {
  ns3::Ptr<ns3::Ipv4> ipv4 = node->GetObject<ns3::Ipv4>();
  ns3::Ptr<ns3::TcpL4Protocol> tcp = node->GetObject<ns3::TcpL4Protocol>();
  if (!ipv4 || !tcp) return make_error("raw packet endpoint: node {} has no IPv4 and TCP stack", node->GetId());
  if (ipv4->GetInterfaceForAddress(ToNs3(address)) < 0)
    return make_error("raw packet endpoint: {} is not an address of node {}", address.to_string(), node->GetId());
  auto impl = std::make_shared<Impl>();
  impl->node = node;
  impl->address = address;
  impl->on_packet = std::move(on_packet);
  impl->tcp = tcp;
  std::weak_ptr<Impl> weak = impl;
  auto open = [&](std::uint16_t protocol) {
    ns3::Ptr<ns3::Socket> s = ns3::Socket::CreateSocket(node, ns3::Ipv4RawSocketFactory::GetTypeId());
    s->SetAttribute("Protocol", ns3::UintegerValue(protocol));
    s->SetAttribute("IpHeaderInclude", ns3::BooleanValue(true));
    s->Bind(ns3::InetSocketAddress(ToNs3(address), 0));  // only packets for `address`
    s->SetRecvCallback(ns3::Callback<void, ns3::Ptr<ns3::Socket>>([weak](ns3::Ptr<ns3::Socket> socket) {
      if (auto self = weak.lock()) self->Receive(socket);
    }));
    return s;
  };
  impl->tcp_socket = open(ip_protocol::kTcp);
  impl->icmp_socket = open(ip_protocol::kIcmp);
  return std::unique_ptr<RawPacketEndpoint>(new RawPacketEndpoint(std::move(impl)));
}

RawPacketEndpoint::RawPacketEndpoint(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

RawPacketEndpoint::~RawPacketEndpoint() {
  impl_->ReleaseClaims();
  for (ns3::Ptr<ns3::Socket> s : {impl_->tcp_socket, impl_->icmp_socket}) {
    s->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
    s->Close();
  }
}

Status RawPacketEndpoint::Send(ByteView ipv4) {
  Impl& s = *impl_;
  Result<Ipv4Packet> packet = parse_ipv4(ipv4);
  if (!packet) {
    ++s.stats.send_failures;
    return make_error("raw packet endpoint: not an IPv4 packet: {}", packet.message());
  }
  if (packet->header.source != s.address) {
    ++s.stats.send_failures;
    return make_error("raw packet endpoint: source {} is not the endpoint's address {}",
                      packet->header.source.to_string(), s.address.to_string());
  }
  bool rst = false;
  if (packet->header.protocol == ip_protocol::kTcp) {
    if (Result<TcpSegment> tcp = parse_tcp(*packet)) {
      s.ClaimTuple(impl_, tcp->header, packet->header.destination);
      rst = tcp->header.has(tcp_flag::kRst);
    }
  }
  // The declared length, without any trailing bytes, so ns-3's header and payload agree.
  auto p = ns3::Create<ns3::Packet>(ipv4.data(), static_cast<std::uint32_t>(packet->total_length));
  if (s.tcp_socket->SendTo(p, 0, ns3::InetSocketAddress(ToNs3(packet->header.destination), 0)) < 0) {
    ++s.stats.send_failures;
    return make_error("raw packet endpoint: no route to {}", packet->header.destination.to_string());
  }
  ++s.stats.sent;
  if (rst) ++s.stats.sent_rsts;
  return Ok{};
}

void RawPacketEndpoint::ReleaseClaims() { impl_->ReleaseClaims(); }
Ipv4Address RawPacketEndpoint::address() const { return impl_->address; }
const RawPacketEndpointStats& RawPacketEndpoint::stats() const { return impl_->stats; }

}  // namespace mitmlab
