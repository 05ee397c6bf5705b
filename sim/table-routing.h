// The forwarding table of one node of a scenario world: an ns-3 routing protocol that does
// longest prefix match over routes the world builder installed (sim/static-routes.h) and
// delivers locally every address in its set of local addresses.
//
// Why not Ipv4StaticRouting: a server site holds thousands of addresses, and ns-3 3.37
// keeps an interface's addresses in a list read by index, so every received packet
// (IsDestinationAddress), every sent one (SourceAddressSelection) and every endpoint lookup
// of a socket bound to another local address walks it quadratically. Here local addresses
// are a hash set and need not be configured on an interface at all; the site's interface
// carries one. Lookups are one hash probe per prefix length in use.
//
// Endpoints (vantages, sites) do not forward: a packet for an address of theirs that is
// not local (a "down" server) is dropped, so it gets no answer at all. ICMP a router
// originates (time exceeded) leaves from its primary address, the scenario's hop address.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <ns3/ipv4-routing-helper.h>
#include <ns3/ipv4-routing-protocol.h>
#include <ns3/ipv4.h>

#include "sim/scenario.h"

namespace mitmlab {

class TableRouting : public ns3::Ipv4RoutingProtocol {
 public:
  static ns3::TypeId GetTypeId();
  TableRouting();
  ~TableRouting() override;

  struct Route {
    Ipv4Prefix prefix;
    std::uint32_t interface = 0;
    ns3::Ipv4Address gateway;  // the next node's address (point-to-point: informational)
  };

  // A node that does not forward drops what is not for it.
  void SetForwarding(bool forwarding) { m_forwarding = forwarding; }
  bool GetForwarding() const { return m_forwarding; }
  // Source of packets not bound to an address (ICMP errors, unbound sockets).
  void SetPrimaryAddress(ns3::Ipv4Address address) { m_primary = address; }
  ns3::Ipv4Address GetPrimaryAddress() const { return m_primary; }
  // Delivered locally whether or not an interface carries it. Interface addresses are
  // added automatically.
  void AddLocalAddress(ns3::Ipv4Address address) { m_local.insert(address.Get()); }
  bool IsLocal(ns3::Ipv4Address address) const { return m_local.count(address.Get()) != 0; }
  std::size_t GetNLocalAddresses() const { return m_local.size(); }

  // A later route for the same prefix replaces the earlier one.
  void AddRoute(Ipv4Prefix prefix, std::uint32_t interface, ns3::Ipv4Address gateway);
  std::optional<Route> Lookup(ns3::Ipv4Address destination) const;
  std::size_t GetNRoutes() const;
  std::vector<Route> GetRoutes() const;  // by prefix length, longest first, then network

  // ns3::Ipv4RoutingProtocol
  ns3::Ptr<ns3::Ipv4Route> RouteOutput(ns3::Ptr<ns3::Packet> p, const ns3::Ipv4Header& header,
                                       ns3::Ptr<ns3::NetDevice> oif,
                                       ns3::Socket::SocketErrno& sockerr) override;
  bool RouteInput(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header,
                  ns3::Ptr<const ns3::NetDevice> idev, UnicastForwardCallback ucb,
                  MulticastForwardCallback mcb, LocalDeliverCallback lcb, ErrorCallback ecb) override;
  void NotifyInterfaceUp(std::uint32_t interface) override;
  void NotifyInterfaceDown(std::uint32_t interface) override;
  void NotifyAddAddress(std::uint32_t interface, ns3::Ipv4InterfaceAddress address) override;
  void NotifyRemoveAddress(std::uint32_t interface, ns3::Ipv4InterfaceAddress address) override;
  void SetIpv4(ns3::Ptr<ns3::Ipv4> ipv4) override;
  void PrintRoutingTable(ns3::Ptr<ns3::OutputStreamWrapper> stream,
                         ns3::Time::Unit unit = ns3::Time::S) const override;

 protected:
  void DoDispose() override;

 private:
  ns3::Ptr<ns3::Ipv4Route> MakeRoute(const Route& route, ns3::Ipv4Address destination,
                                     ns3::Ipv4Address source) const;

  ns3::Ptr<ns3::Ipv4> m_ipv4;
  bool m_forwarding = true;
  ns3::Ipv4Address m_primary;
  std::unordered_set<std::uint32_t> m_local;
  // m_byLength[len]: network -> route; m_lengths: lengths in use, longest first.
  std::array<std::unordered_map<std::uint32_t, Route>, 33> m_byLength;
  std::vector<unsigned> m_lengths;
};

// Installs a TableRouting on every node InternetStackHelper builds.
class TableRoutingHelper : public ns3::Ipv4RoutingHelper {
 public:
  TableRoutingHelper* Copy() const override { return new TableRoutingHelper(*this); }
  ns3::Ptr<ns3::Ipv4RoutingProtocol> Create(ns3::Ptr<ns3::Node> node) const override;
};

// The TableRouting of a node built with TableRoutingHelper (null otherwise).
ns3::Ptr<TableRouting> GetTableRouting(ns3::Ptr<ns3::Node> node);

}  // namespace mitmlab
