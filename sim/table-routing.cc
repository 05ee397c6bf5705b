#include "sim/table-routing.h"

#include <algorithm>
#include <ostream>

#include <ns3/ipv4-route.h>
#include <ns3/log.h>
#include <ns3/node.h>
#include <ns3/output-stream-wrapper.h>

#include "sim/static-routes.h"

namespace mitmlab {

NS_LOG_COMPONENT_DEFINE("MitmlabTableRouting");
NS_OBJECT_ENSURE_REGISTERED(TableRouting);

ns3::TypeId TableRouting::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("mitmlab::TableRouting")
                               .SetParent<ns3::Ipv4RoutingProtocol>()
                               .SetGroupName("Mitmlab")
                               .AddConstructor<TableRouting>();
  return tid;
}

TableRouting::TableRouting() = default;
TableRouting::~TableRouting() = default;

void TableRouting::DoDispose() {
  m_ipv4 = nullptr;
  ns3::Ipv4RoutingProtocol::DoDispose();
}

void TableRouting::AddRoute(Ipv4Prefix prefix, std::uint32_t interface, ns3::Ipv4Address gateway) {
  const std::uint32_t network = prefix.network.value & prefix_mask(prefix.length);
  m_byLength[prefix.length][network] = Route{Ipv4Prefix{Ipv4Address(network), prefix.length}, interface, gateway};
  if (std::find(m_lengths.begin(), m_lengths.end(), prefix.length) == m_lengths.end()) {
    m_lengths.push_back(prefix.length);
    std::sort(m_lengths.begin(), m_lengths.end(), std::greater<>());
  }
}

std::optional<TableRouting::Route> TableRouting::Lookup(ns3::Ipv4Address destination) const {
  for (unsigned length : m_lengths) {
    const auto& table = m_byLength[length];
    auto it = table.find(destination.Get() & prefix_mask(length));
    if (it != table.end()) return it->second;
  }
  return std::nullopt;
}

std::size_t TableRouting::GetNRoutes() const {
  std::size_t n = 0;
  for (const auto& table : m_byLength) n += table.size();
  return n;
}

std::vector<TableRouting::Route> TableRouting::GetRoutes() const {
  std::vector<Route> out;
  for (unsigned length : m_lengths) {
    std::vector<Route> level;
    for (const auto& [network, route] : m_byLength[length]) level.push_back(route);
    std::sort(level.begin(), level.end(),
              [](const Route& a, const Route& b) { return a.prefix.network < b.prefix.network; });
    out.insert(out.end(), level.begin(), level.end());
  }
  return out;
}

ns3::Ptr<ns3::Ipv4Route> TableRouting::MakeRoute(const Route& route, ns3::Ipv4Address destination,
                                                 ns3::Ipv4Address source) const {
  auto r = ns3::Create<ns3::Ipv4Route>();
  r->SetDestination(destination);
  r->SetGateway(route.gateway);
  r->SetSource(source);
  r->SetOutputDevice(m_ipv4->GetNetDevice(route.interface));
  return r;
}

ns3::Ptr<ns3::Ipv4Route> TableRouting::RouteOutput(ns3::Ptr<ns3::Packet>, const ns3::Ipv4Header& header,
                                                   ns3::Ptr<ns3::NetDevice> oif,
                                                   ns3::Socket::SocketErrno& sockerr) {
  const ns3::Ipv4Address destination = header.GetDestination();
  const ns3::Ipv4Address source = IsLocal(header.GetSource()) ? header.GetSource() : m_primary;
  std::optional<Route> route;
  if (IsLocal(destination)) {
    // To itself: through the loopback device, interface 0 of every InternetStackHelper node.
    route = Route{Ipv4Prefix{Ipv4Address(destination.Get()), 32}, 0, destination};
  } else {
    route = Lookup(destination);
  }
  if (!route || (oif && oif != m_ipv4->GetNetDevice(route->interface))) {
    sockerr = ns3::Socket::ERROR_NOROUTETOHOST;
    return nullptr;
  }
  sockerr = ns3::Socket::ERROR_NOTERROR;
  return MakeRoute(*route, destination, IsLocal(destination) ? destination : source);
}

bool TableRouting::RouteInput(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header,
                              ns3::Ptr<const ns3::NetDevice> idev, UnicastForwardCallback ucb,
                              MulticastForwardCallback, LocalDeliverCallback lcb, ErrorCallback) {
  const ns3::Ipv4Address destination = header.GetDestination();
  const std::int32_t iif = m_ipv4->GetInterfaceForDevice(idev);
  if (IsLocal(destination)) {
    if (lcb.IsNull()) return false;
    lcb(p, header, static_cast<std::uint32_t>(iif));
    return true;
  }
  if (destination.IsBroadcast() || destination.IsMulticast()) return false;
  if (!m_forwarding || iif < 0 || !m_ipv4->IsForwarding(static_cast<std::uint32_t>(iif))) {
    NS_LOG_LOGIC("not for this endpoint, dropped: " << destination);
    return false;
  }
  std::optional<Route> route = Lookup(destination);
  if (!route) return false;  // Ipv4L3Protocol counts it as DROP_NO_ROUTE
  ucb(MakeRoute(*route, destination, header.GetSource()), p, header);
  return true;
}

void TableRouting::NotifyInterfaceUp(std::uint32_t) {}
void TableRouting::NotifyInterfaceDown(std::uint32_t) {}

void TableRouting::NotifyAddAddress(std::uint32_t, ns3::Ipv4InterfaceAddress address) {
  m_local.insert(address.GetLocal().Get());
}

void TableRouting::NotifyRemoveAddress(std::uint32_t, ns3::Ipv4InterfaceAddress address) {
  m_local.erase(address.GetLocal().Get());
}

void TableRouting::SetIpv4(ns3::Ptr<ns3::Ipv4> ipv4) {
  m_ipv4 = ipv4;
  for (std::uint32_t i = 0; i < ipv4->GetNInterfaces(); ++i) {
    for (std::uint32_t j = 0; j < ipv4->GetNAddresses(i); ++j) m_local.insert(ipv4->GetAddress(i, j).GetLocal().Get());
  }
}

void TableRouting::PrintRoutingTable(ns3::Ptr<ns3::OutputStreamWrapper> stream, ns3::Time::Unit) const {
  std::ostream& out = *stream->GetStream();
  out << "TableRouting: " << m_local.size() << " local addresses, " << GetNRoutes() << " routes"
      << (m_forwarding ? "" : ", not forwarding") << "\n";
  for (const Route& r : GetRoutes()) {
    out << "  " << r.prefix.network << "/" << r.prefix.length << " if " << r.interface << " via " << r.gateway << "\n";
  }
}

ns3::Ptr<ns3::Ipv4RoutingProtocol> TableRoutingHelper::Create(ns3::Ptr<ns3::Node>) const {
  return ns3::CreateObject<TableRouting>();
}

ns3::Ptr<TableRouting> GetTableRouting(ns3::Ptr<ns3::Node> node) {
  ns3::Ptr<ns3::Ipv4> ipv4 = node ? node->GetObject<ns3::Ipv4>() : nullptr;
  return ipv4 ? ns3::DynamicCast<TableRouting>(ipv4->GetRoutingProtocol()) : nullptr;
}

}  // namespace mitmlab
