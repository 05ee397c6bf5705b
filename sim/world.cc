// World's lookups, its ground-truth paths (read from the installed tables) and pcaps.
#include <ns3/channel.h>
#include <ns3/ipv4.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/point-to-point-net-device.h>

#include "sim/table-routing.h"
#include "sim/world-builder.h"

namespace mitmlab {

namespace {

ns3::Ptr<ns3::NetDevice> PeerOf(ns3::Ptr<ns3::NetDevice> device) {
  ns3::Ptr<ns3::Channel> channel = device->GetChannel();
  if (!channel) return nullptr;
  for (std::size_t i = 0; i < channel->GetNDevices(); ++i) {
    if (channel->GetDevice(i) != device) return channel->GetDevice(i);
  }
  return nullptr;
}

}  // namespace

ns3::Ptr<ns3::Node> World::GetNode(std::string_view name) const {
  auto it = m_byName.find(std::string(name));
  return it == m_byName.end() ? nullptr : m_nodes[it->second].node;
}

ns3::Ptr<ns3::Node> World::GetRouter(std::string_view name) const {
  auto it = m_byName.find(std::string(name));
  return it == m_byName.end() || m_nodes[it->second].kind != WorldNodeKind::kRouter ? nullptr : m_nodes[it->second].node;
}

ns3::Ptr<ns3::Node> World::GetVantage(std::string_view name) const {
  auto it = m_byName.find(std::string(name));
  return it == m_byName.end() || m_nodes[it->second].kind != WorldNodeKind::kVantage ? nullptr : m_nodes[it->second].node;
}

const ScenarioServer* World::GetServer(Ipv4Address address) const {
  auto it = m_serverByAddress.find(address.value);
  return it == m_serverByAddress.end() ? nullptr : &m_scenario.servers[it->second];
}

const ServerSite* World::GetSite(Ipv4Address server) const {
  auto it = m_siteByAddress.find(server.value);
  return it == m_siteByAddress.end() ? nullptr : &m_sites[it->second];
}

const BumpInfo* World::GetBump(std::string_view name) const {
  for (const BumpInfo& b : m_bumps) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

const WorldNode* World::Find(ns3::Ptr<ns3::Node> node) const {
  if (!node) return nullptr;
  auto it = m_byNodeId.find(node->GetId());
  return it == m_byNodeId.end() || m_nodes[it->second].node != node ? nullptr : &m_nodes[it->second];
}

WorldPath World::Path(std::string_view vantage, Ipv4Address destination) const {
  return Path(GetVantage(vantage), destination);
}

WorldPath World::Path(ns3::Ptr<ns3::Node> from, Ipv4Address destination) const {
  WorldPath path;
  const ns3::Ipv4Address to(destination.value);
  ns3::Ptr<ns3::Node> node = from;
  // 256 hops: longer than any TTL, so a loop (which the builder cannot make) still ends.
  for (int step = 0; node && step < 256; ++step) {
    const WorldNode* here = Find(node);
    path.last = here ? here->name : "";
    ns3::Ptr<TableRouting> routing = GetTableRouting(node);
    if (!routing) break;
    if (routing->IsLocal(to)) {
      path.delivered = true;
      break;
    }
    if (node != from && !routing->GetForwarding()) break;  // an endpoint drops it
    std::optional<TableRouting::Route> route = routing->Lookup(to);
    if (!route) break;
    ns3::Ptr<ns3::NetDevice> peer = PeerOf(node->GetObject<ns3::Ipv4>()->GetNetDevice(route->interface));
    // Through bump nodes: in by one side, out by the other.
    while (peer && peer->GetNode()->GetObject<BumpNode>()) {
      ns3::Ptr<BumpNode> bump = peer->GetNode()->GetObject<BumpNode>();
      for (const BumpInfo& b : m_bumps) {
        if (b.bump == bump && !path.hops.empty()) path.bumps.push_back({b.name, path.hops.size() - 1, path.hops.size()});
      }
      const LinkSide in = peer == bump->GetDevice(LinkSide::kA) ? LinkSide::kA : LinkSide::kB;
      peer = PeerOf(bump->GetDevice(other_side(in)));
    }
    node = peer ? peer->GetNode() : nullptr;
    const WorldNode* next = Find(node);
    if (next && next->kind == WorldNodeKind::kRouter) path.hops.push_back({next->name, next->address});
  }
  return path;
}

void World::EnablePcap(const std::filesystem::path& dir) const {
  ns3::PointToPointHelper helper;
  for (const WorldNode& n : m_nodes) {
    std::size_t count = 0;
    for (std::uint32_t d = 0; d < n.node->GetNDevices(); ++d) {
      ns3::Ptr<ns3::PointToPointNetDevice> device = ns3::DynamicCast<ns3::PointToPointNetDevice>(n.node->GetDevice(d));
      if (!device) continue;
      const std::filesystem::path file = dir / (n.name + "-" + std::to_string(count++) + ".pcap");
      helper.EnablePcap(file.string(), device, false, true);
    }
  }
}

}  // namespace mitmlab
