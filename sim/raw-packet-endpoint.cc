#include "sim/raw-packet-endpoint.h"

#include <map>
#include <tuple>
#include <vector>

#include <ns3/boolean.h>
#include <ns3/inet-socket-address.h>
#include <ns3/ipv4-end-point.h>
#include <ns3/ipv4-raw-socket-factory.h>
#include <ns3/ipv4.h>
#include <ns3/packet.h>
#include <ns3/simulator.h>
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
  // (peer address, local port, peer port): what a claim is found by.
  using ClaimKey = std::tuple<std::uint32_t, std::uint16_t, std::uint16_t>;
  struct Claim {
    ns3::Ipv4EndPoint* endpoint = nullptr;  // owned by the node's TCP; null once it freed it
    ns3::Time last_sent;                    // when the probe last sent on the tuple
  };

  ns3::Ptr<ns3::Node> node;
  Ipv4Address address;
  std::function<void(ByteView)> on_packet;
  ns3::Ptr<ns3::Socket> tcp_socket, icmp_socket;  // tcp_socket also sends
  ns3::Ptr<ns3::TcpL4Protocol> tcp;
  std::map<ClaimKey, std::unique_ptr<Claim>> claims;
  ns3::EventId expiry;
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
    const ClaimKey key{peer.value, tcp_header.source_port, tcp_header.destination_port};
    if (auto it = claims.find(key); it != claims.end() && it->second->endpoint) {
      it->second->last_sent = ns3::Simulator::Now();
      return;
    }
    ns3::Ipv4EndPoint* ep =
        tcp->Allocate(nullptr, ToNs3(address), tcp_header.source_port, ToNs3(peer), tcp_header.destination_port);
    if (!ep) {
      ++stats.claim_failures;
      return;
    }
    ++stats.claims;
    auto claim = std::make_unique<Claim>(Claim{ep, ns3::Simulator::Now()});
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
    claims[key] = std::move(claim);
    if (!expiry.IsRunning()) ScheduleExpiry(self);
  }

  void Release(Claim& c) {
    if (!c.endpoint) return;
    c.endpoint->SetDestroyCallback(ns3::MakeNullCallback<void>());
    tcp->DeAllocate(c.endpoint);
    c.endpoint = nullptr;
  }

  // ns-3 finds a segment's endpoint by walking all of the node's endpoints, so a sweep of
  // thousands of hosts that kept every claim to the end slowed every later connection of
  // the node (a full run's scan after the sweep: 65 -> 99 s).
  void ScheduleExpiry(const std::shared_ptr<Impl>& self) {
    std::weak_ptr<Impl> weak = self;
    expiry = ns3::Simulator::Schedule(ns3::Seconds(kRawClaimIdleSeconds), [weak] {
      if (auto s = weak.lock()) s->ExpireIdle(s);
    });
  }

  void ExpireIdle(const std::shared_ptr<Impl>& self) {
    const ns3::Time now = ns3::Simulator::Now();
    for (auto it = claims.begin(); it != claims.end();) {
      if (it->second->endpoint && now - it->second->last_sent < ns3::Seconds(kRawClaimIdleSeconds)) {
        ++it;
        continue;
      }
      if (it->second->endpoint) ++stats.expired;
      Release(*it->second);
      it = claims.erase(it);
    }
    if (!claims.empty()) ScheduleExpiry(self);
  }

  void ReleaseClaims() {
    for (auto& [key, c] : claims) Release(*c);
    claims.clear();
    expiry.Cancel();
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
