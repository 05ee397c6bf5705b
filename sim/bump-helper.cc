#include "sim/bump-helper.h"

#include <ns3/object.h>

namespace mitmlab {

BumpHelper::BumpHelper() = default;

void BumpHelper::SetDeviceAttribute(const std::string& name, const ns3::AttributeValue& value) {
  m_link.SetDeviceAttribute(name, value);
}

void BumpHelper::SetChannelAttribute(const std::string& name, const ns3::AttributeValue& value) {
  m_link.SetChannelAttribute(name, value);
}

BumpLink BumpHelper::Install(ns3::Ptr<ns3::Node> a, ns3::Ptr<ns3::Node> b,
                             std::shared_ptr<PacketProcessor> processor) {
  BumpLink link;
  link.node = ns3::CreateObject<ns3::Node>();
  ns3::NetDeviceContainer left = m_link.Install(a, link.node);   // [a's device, bump side A]
  ns3::NetDeviceContainer right = m_link.Install(link.node, b);  // [bump side B, b's device]
  link.bump = ns3::CreateObject<BumpNode>();
  link.node->AggregateObject(link.bump);
  link.bump->Setup(left.Get(1), right.Get(0), std::move(processor));
  link.routerDevices.Add(left.Get(0));
  link.routerDevices.Add(right.Get(1));
  return link;
}

}  // namespace mitmlab
