// Puts a bump in the wire between two routers: router a ── [bump] ── router b.
//
// The bump node gets two point-to-point devices and no IP stack. The two router-side
// devices are returned so the caller can give them addresses in one subnet (the link
// looks like one wire to them) and static routes: ns-3's global routing aborts on a
// node without IPv4. A packet from a's side reaches the processor as LinkSide::kA.
#pragma once

#include <memory>
#include <string>

#include <ns3/net-device-container.h>
#include <ns3/node.h>
#include <ns3/point-to-point-helper.h>

#include "interceptor/bump-io.h"
#include "sim/bump-node.h"

namespace mitmlab {

struct BumpLink {
  ns3::Ptr<ns3::Node> node;             // the bump node itself
  ns3::Ptr<BumpNode> bump;              // aggregated to `node`
  ns3::NetDeviceContainer routerDevices;  // Get(0) on router a, Get(1) on router b
};

class BumpHelper {
 public:
  BumpHelper();
  // Applied to both halves (a ── bump and bump ── b): a Delay of d makes the
  // a-to-b one-way delay 2d plus two serialisations.
  void SetDeviceAttribute(const std::string& name, const ns3::AttributeValue& value);
  void SetChannelAttribute(const std::string& name, const ns3::AttributeValue& value);

  BumpLink Install(ns3::Ptr<ns3::Node> a, ns3::Ptr<ns3::Node> b,
                   std::shared_ptr<PacketProcessor> processor);

 private:
  ns3::PointToPointHelper m_link;
};

}  // namespace mitmlab
