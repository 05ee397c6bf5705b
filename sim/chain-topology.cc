#include "sim/chain-topology.h"

#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/ipv4-static-routing-helper.h>
#include <ns3/ipv4-static-routing.h>
#include <ns3/ipv4.h>
#include <ns3/nstime.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/string.h>

#include "sim/ns3-defaults.h"

namespace mitmlab {

ChainTopology BuildChainTopology(std::shared_ptr<PacketProcessor> processor) {
  using namespace ns3;
  ApplyNs3Defaults();

  ChainTopology topo;
  topo.nodes.Create(6);
  InternetStackHelper stack;
  stack.Install(topo.nodes);

  PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", StringValue("100Mbps"));
  p2p.SetChannelAttribute("Delay", StringValue("2ms"));
  BumpHelper bumpHelper;
  bumpHelper.SetDeviceAttribute("DataRate", StringValue("100Mbps"));
  bumpHelper.SetChannelAttribute("Delay", StringValue("1ms"));

  std::array<NetDeviceContainer, 5> links;
  for (std::size_t i = 0; i < links.size(); ++i) {
    if (i == ChainTopology::kBumpLink) {
      topo.bump = bumpHelper.Install(topo.Node(i), topo.Node(i + 1), processor);
      links[i] = topo.bump.routerDevices;
    } else {
      links[i] = p2p.Install(topo.Node(i), topo.Node(i + 1));
    }
    Ipv4AddressHelper addresses;
    const std::string net = "10.0." + std::to_string(i) + ".0";
    addresses.SetBase(net.c_str(), "255.255.255.0");
    Ipv4InterfaceContainer ifaces = addresses.Assign(links[i]);
    topo.address[i] = {ifaces.GetAddress(0), ifaces.GetAddress(1)};
  }

  // Node n sits between link n-1 (left) and link n (right): links to its right are
  // reached through node n+1, links to its left through node n-1.
  Ipv4StaticRoutingHelper routingHelper;
  for (std::size_t n = 0; n < 6; ++n) {
    Ptr<Ipv4> ipv4 = topo.Node(n)->GetObject<Ipv4>();
    Ptr<Ipv4StaticRouting> routing = routingHelper.GetStaticRouting(ipv4);
    for (std::size_t link = 0; link < links.size(); ++link) {
      const bool adjacent = link == n || link + 1 == n;
      if (adjacent) continue;
      const Ipv4Address network(("10.0." + std::to_string(link) + ".0").c_str());
      if (link > n) {
        const std::uint32_t iface = ipv4->GetInterfaceForDevice(links[n].Get(0));
        routing->AddNetworkRouteTo(network, Ipv4Mask("255.255.255.0"), topo.address[n][1], iface);
      } else {
        const std::uint32_t iface = ipv4->GetInterfaceForDevice(links[n - 1].Get(1));
        routing->AddNetworkRouteTo(network, Ipv4Mask("255.255.255.0"), topo.address[n - 1][0], iface);
      }
    }
  }
  return topo;
}

}  // namespace mitmlab
