// A raw-packet endpoint on an ns-3 node: the simulator's counterpart of the live localizer's
// raw socket plus firewall rule (facts §7: the 2019 authors sent hand-made TCP packets and
// dropped their kernel's RSTs with iptables). It sends whole IPv4 packets as they are (their
// own TTL, ID, flags, ports; ns-3 recomputes only the header checksum) and hands every TCP
// and ICMP packet the node receives for `address` to `on_packet`, IP header included.
//
// Sending: an Ipv4RawSocket with IpHeaderInclude (like IP_HDRINCL: routed by the node's
// routing table, through its Ipv4 traces and traffic control). Receiving: two raw sockets
// (TCP, ICMP) bound to `address`; ns-3 hands raw sockets a copy of every packet before its
// own TCP sees it.
//
// Keeping the node's TCP quiet: ns-3's TCP answers a segment for which it has no endpoint
// (the probe's SYN-ACK) with a RST. The endpoint claims, in the node's TCP demultiplexer,
// the 4-tuple of every TCP packet it sends (local address and port, peer address and port)
// with an endpoint that swallows what it receives. Why this rather than a queue disc that
// drops outgoing RSTs (the literal iptables analogue): the wire sees the same thing (no RST,
// the probe's packets untouched), but nothing in the node's stack is replaced (its root
// queue disc, the device), it cannot drop a RST the probe itself crafted, and it works
// on any device. The claimed tuple also keeps the node's own sockets off the probe's ports.
// A claim is released once the probe has sent nothing on its tuple for kRawClaimIdleSeconds
// (by then the probe has ended the connection with its RST and every segment of it has
// arrived: link delays are milliseconds), and all of them with the endpoint
// (ReleaseClaims() to do it earlier).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include <ns3/node.h>
#include <ns3/ptr.h>

#include "net/bytes.h"
#include "net/ipv4-address.h"
#include "net/result.h"

namespace mitmlab {

// How long a claimed tuple outlives the probe's last packet on it, in seconds.
inline constexpr double kRawClaimIdleSeconds = 60;

struct RawPacketEndpointStats {
  std::uint64_t sent = 0;
  std::uint64_t sent_rsts = 0;      // TCP RSTs among them: the probe's own
  std::uint64_t send_failures = 0;  // not IPv4 from `address`, or no route
  std::uint64_t received = 0;       // handed to on_packet
  std::uint64_t claims = 0;         // 4-tuples claimed in the node's TCP
  std::uint64_t claim_failures = 0; // a tuple already in use by one of the node's sockets
  std::uint64_t swallowed = 0;      // segments the node's TCP delivered to a claim
  std::uint64_t expired = 0;        // claims released after kRawClaimIdleSeconds without sending
};

class RawPacketEndpoint {
 public:
  // `address` must be one of the node's IPv4 addresses (an error otherwise).
  static Result<std::unique_ptr<RawPacketEndpoint>> Create(ns3::Ptr<ns3::Node> node, Ipv4Address address,
                                                           std::function<void(ByteView ipv4)> on_packet);
  ~RawPacketEndpoint();
  RawPacketEndpoint(const RawPacketEndpoint&) = delete;
  RawPacketEndpoint& operator=(const RawPacketEndpoint&) = delete;

  // One whole IPv4 packet from `address`. An error (counted) when it does not parse as
  // IPv4, comes from another source, or has no route.
  Status Send(ByteView ipv4);
  void ReleaseClaims();

  Ipv4Address address() const;
  const RawPacketEndpointStats& stats() const;

 private:
  struct Impl;
  explicit RawPacketEndpoint(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace mitmlab
