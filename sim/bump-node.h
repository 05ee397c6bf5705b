// The ns-3 side of a bump in the wire: a node with two point-to-point devices and no IP
// stack. Every frame from either device is handed, as the bytes of its IPv4 datagram, to
// a PacketProcessor (interceptor/bump-io.h), which decides forward or drop and may queue
// packets of its own. Forwarded packets leave by the other device unchanged; nothing
// decrements TTL, so the bump is invisible to traceroute.
#pragma once

#include <cstdint>
#include <memory>

#include <ns3/event-id.h>
#include <ns3/net-device.h>
#include <ns3/object.h>
#include <ns3/packet.h>
#include <ns3/traced-callback.h>

#include "interceptor/bump-io.h"

namespace mitmlab {

class BumpNode : public ns3::Object {
 public:
  static ns3::TypeId GetTypeId();
  BumpNode();
  ~BumpNode() override;

  // Wires the two devices (already on the bump node) to the processor. Call once.
  void Setup(ns3::Ptr<ns3::NetDevice> sideA, ns3::Ptr<ns3::NetDevice> sideB,
             std::shared_ptr<PacketProcessor> processor);

  ns3::Ptr<ns3::NetDevice> GetDevice(LinkSide side) const;
  PacketProcessor& GetProcessor() const { return *m_processor; }

  // Counters, indexed by the side a packet came from (forwarded, dropped) or left by
  // (injected). Non-IPv4 frames bypass the processor and are forwarded (counted apart).
  std::uint64_t GetForwarded(LinkSide from) const { return m_forwarded[Index(from)]; }
  std::uint64_t GetDropped(LinkSide from) const { return m_dropped[Index(from)]; }
  std::uint64_t GetInjected(LinkSide to) const { return m_injected[Index(to)]; }
  std::uint64_t GetNonIpv4() const { return m_nonIpv4; }
  std::uint64_t GetSendFailures() const { return m_sendFailures; }
  std::uint64_t GetTimeouts() const { return m_timeouts; }

 protected:
  void DoDispose() override;

 private:
  static std::size_t Index(LinkSide s) { return static_cast<std::size_t>(s); }

  void Receive(ns3::Ptr<ns3::NetDevice> device, ns3::Ptr<const ns3::Packet> packet,
               std::uint16_t protocol, const ns3::Address& from, const ns3::Address& to,
               ns3::NetDevice::PacketType type);
  void SendOut(LinkSide side, ns3::Ptr<ns3::Packet> packet, std::uint16_t protocol);
  // After every call into the processor: send what it queued, then re-arm the timer.
  void DrainAndRearm();
  void HandleTimeout();

  ns3::Ptr<ns3::NetDevice> m_devices[2];
  std::shared_ptr<PacketProcessor> m_processor;
  ns3::EventId m_timer;  // the one timer that drives processor->on_timeout
  std::uint64_t m_forwarded[2] = {0, 0};
  std::uint64_t m_dropped[2] = {0, 0};
  std::uint64_t m_injected[2] = {0, 0};
  std::uint64_t m_nonIpv4 = 0;
  std::uint64_t m_sendFailures = 0;
  std::uint64_t m_timeouts = 0;

  // Trace sources: (packet, side it arrived on / leaves by).
  ns3::TracedCallback<ns3::Ptr<const ns3::Packet>, std::uint8_t> m_rxTrace;
  ns3::TracedCallback<ns3::Ptr<const ns3::Packet>, std::uint8_t> m_dropTrace;
  ns3::TracedCallback<ns3::Ptr<const ns3::Packet>, std::uint8_t> m_injectTrace;
};

}  // namespace mitmlab
