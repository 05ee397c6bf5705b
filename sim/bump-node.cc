#include "sim/bump-node.h"

#include <ns3/log.h>
#include <ns3/node.h>
#include <ns3/simulator.h>

#include "net/bytes.h"

namespace mitmlab {

NS_LOG_COMPONENT_DEFINE("MitmlabBumpNode");
NS_OBJECT_ENSURE_REGISTERED(BumpNode);

namespace {
constexpr std::uint16_t kIpv4EtherType = 0x0800;

Timestamp Now() { return Timestamp(ns3::Simulator::Now().GetNanoSeconds()); }
}  // namespace

ns3::TypeId BumpNode::GetTypeId() {
  static ns3::TypeId tid =
      ns3::TypeId("mitmlab::BumpNode")
          .SetParent<ns3::Object>()
          .SetGroupName("Mitmlab")
          .AddConstructor<BumpNode>()
          .AddTraceSource("Rx", "A packet arrived on a side (0 = A, 1 = B), before the verdict.",
                          ns3::MakeTraceSourceAccessor(&BumpNode::m_rxTrace),
                          "mitmlab::BumpNode::PacketSideCallback")
          .AddTraceSource("Drop", "The processor dropped a packet that arrived on a side.",
                          ns3::MakeTraceSourceAccessor(&BumpNode::m_dropTrace),
                          "mitmlab::BumpNode::PacketSideCallback")
          .AddTraceSource("Inject", "The processor sent a packet of its own out of a side.",
                          ns3::MakeTraceSourceAccessor(&BumpNode::m_injectTrace),
                          "mitmlab::BumpNode::PacketSideCallback");
  return tid;
}

BumpNode::BumpNode() = default;
BumpNode::~BumpNode() = default;

void BumpNode::Setup(ns3::Ptr<ns3::NetDevice> sideA, ns3::Ptr<ns3::NetDevice> sideB,
                     std::shared_ptr<PacketProcessor> processor) {
  NS_ASSERT_MSG(!m_processor, "BumpNode::Setup called twice");
  NS_ASSERT(sideA->GetNode() == sideB->GetNode());
  m_devices[Index(LinkSide::kA)] = sideA;
  m_devices[Index(LinkSide::kB)] = sideB;
  m_processor = std::move(processor);
  // Protocol 0 = every protocol, so non-IPv4 frames can be bridged instead of vanishing.
  for (auto& device : m_devices) {
    device->GetNode()->RegisterProtocolHandler(ns3::MakeCallback(&BumpNode::Receive, this), 0,
                                               device);
  }
  // The processor may already want a timer (e.g. a scheduled injection).
  ns3::Simulator::ScheduleNow(&BumpNode::DrainAndRearm, this);
}

ns3::Ptr<ns3::NetDevice> BumpNode::GetDevice(LinkSide side) const { return m_devices[Index(side)]; }

void BumpNode::DoDispose() {
  m_timer.Cancel();
  m_devices[0] = nullptr;
  m_devices[1] = nullptr;
  m_processor.reset();
  ns3::Object::DoDispose();
}

void BumpNode::Receive(ns3::Ptr<ns3::NetDevice> device, ns3::Ptr<const ns3::Packet> packet,
                       std::uint16_t protocol, const ns3::Address&, const ns3::Address&,
                       ns3::NetDevice::PacketType) {
  const LinkSide from = device == m_devices[Index(LinkSide::kA)] ? LinkSide::kA : LinkSide::kB;
  m_rxTrace(packet, static_cast<std::uint8_t>(from));
  if (protocol != kIpv4EtherType) {
    ++m_nonIpv4;
    SendOut(other_side(from), packet->Copy(), protocol);
    return;
  }
  // The point-to-point device has removed only its PPP header: these are the bytes of
  // the whole IPv4 datagram, IP header first, as they were on the wire.
  Bytes bytes(packet->GetSize());
  packet->CopyData(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
  Disposition verdict = m_processor->on_packet(Now(), from, ByteView(bytes));
  if (verdict == Disposition::kForward) {
    ++m_forwarded[Index(from)];
    SendOut(other_side(from), packet->Copy(), kIpv4EtherType);
  } else {
    ++m_dropped[Index(from)];
    m_dropTrace(packet, static_cast<std::uint8_t>(from));
  }
  DrainAndRearm();
}

void BumpNode::SendOut(LinkSide side, ns3::Ptr<ns3::Packet> packet, std::uint16_t protocol) {
  ns3::Ptr<ns3::NetDevice> device = m_devices[Index(side)];
  // Point-to-point ignores the destination address; the protocol picks the PPP type.
  // Send fails when the device queue is full: the packet is lost, as on a real wire.
  if (!device->Send(packet, device->GetBroadcast(), protocol)) ++m_sendFailures;
}

void BumpNode::DrainAndRearm() {
  if (!m_processor) return;
  while (std::optional<OutboundPacket> out = m_processor->poll_transmit()) {
    auto packet = ns3::Create<ns3::Packet>(out->ipv4.data(), static_cast<std::uint32_t>(out->ipv4.size()));
    ++m_injected[Index(out->side)];
    m_injectTrace(packet, static_cast<std::uint8_t>(out->side));
    SendOut(out->side, packet, kIpv4EtherType);
  }
  std::optional<Timestamp> next = m_processor->next_timeout();
  if (!next) {
    m_timer.Cancel();
    return;
  }
  const ns3::Time at = ns3::NanoSeconds(next->count());
  // Keep the pending event when it already fires at the right time.
  if (m_timer.IsRunning() && ns3::TimeStep(m_timer.GetTs()) == at) return;
  m_timer.Cancel();
  const ns3::Time now = ns3::Simulator::Now();
  m_timer = ns3::Simulator::Schedule(at > now ? at - now : ns3::Time(0), &BumpNode::HandleTimeout, this);
}

void BumpNode::HandleTimeout() {
  ++m_timeouts;
  m_processor->on_timeout(Now());
  DrainAndRearm();
}

}  // namespace mitmlab
