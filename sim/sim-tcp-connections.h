// The ns-3 TCP connections of a socket-mode driver (sim/sim-scan-driver.h,
// sim/sim-socket-trace-driver.h): the ns-3 counterpart of the live epoll transport's socket
// table. It performs a core's ConnectAction / SendAction / CloseAction on ns-3 TcpSockets of
// one node and reports what each connection did through SimTcpEvents, keyed by the core's
// ConnId. The events may call back into Connect/Send/Close (a core reacting at once).
//
// ns-3.37 quirks it hides (checked in tcp-socket-base.cc):
//  - a RST received in SYN_SENT or ESTABLISHED ends the socket with the *normal* close
//    callback; a RST is told apart by watching the socket's "Rx" trace for the RST flag.
//    So: refused -> connect_failed("connection refused"), RST later -> reset, FIN -> closed.
//  - ICMP errors reach a TCP socket only through its "IcmpCallback" attribute (the router's
//    address, type, code); set only when SimTcpEvents::icmp is.
//  - SendAction.ttl becomes Socket::SetIpTtl, which TcpSocketBase applies to every segment
//    it sends from then on (data, retransmissions, ACKs, FIN) as a SocketIpTtlTag: the
//    semantics of IP_TTL on a live socket and of SendAction.ttl.
// Bytes the socket cannot take yet (GetTxAvailable) wait here and go out on its send
// callback. A closed connection forgets its socket at once (callbacks nulled); ns-3 keeps
// the socket until TCP has finished with it (FIN handshake, TIME_WAIT), then frees it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <variant>

#include <ns3/node.h>
#include <ns3/ptr.h>

#include "net/bytes.h"
#include "scanner/localizer.h"
#include "scanner/transport-action.h"
#include "sim/sim-core-timer.h"

namespace mitmlab {

struct SimTcpEvents {
  std::function<void(ConnId)> connected;
  std::function<void(ConnId, std::string_view why)> connect_failed;
  std::function<void(ConnId, ByteView)> bytes;
  std::function<void(ConnId)> closed;  // the peer's FIN
  std::function<void(ConnId)> reset;   // a RST, or any other error end
  std::function<void(ConnId, const IcmpReport&)> icmp;  // empty: ICMP errors are not watched
};

struct SimTcpStats {
  std::uint64_t connects = 0;
  std::uint64_t connect_failures = 0;
  std::uint64_t resets = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t send_stalls = 0;  // sends that left bytes waiting for send-buffer space
  std::uint64_t icmp_errors = 0;
  std::size_t open = 0;  // connections between Connect and their end or Close
  std::size_t max_open = 0;
};

// Events that report to a core (Scan, or a Localizer in socket mode) at Simulator::Now(),
// then call `after` (the driver's Pump) so the core's reaction is performed at once.
template <class Core>
SimTcpEvents CoreTcpEvents(Core& core, std::function<void()> after);

class SimTcpConnections {
 public:
  SimTcpConnections(ns3::Ptr<ns3::Node> node, SimTcpEvents events);
  // Closes whatever is still open, without reporting it.
  ~SimTcpConnections();
  SimTcpConnections(const SimTcpConnections&) = delete;
  SimTcpConnections& operator=(const SimTcpConnections&) = delete;

  // Addresses are numeric IPv4 (net/ipv4-address.h); anything else fails the connect.
  void Connect(const ConnectAction& action);
  void Send(const SendAction& action);
  void Close(ConnId conn);

  // A core's action (TransportAction, LocalizerAction); false for one that is not a
  // socket action (RawPacketAction).
  template <class Action>
  bool Perform(const Action& action) {
    if (auto* c = std::get_if<ConnectAction>(&action))
      Connect(*c);
    else if (auto* s = std::get_if<SendAction>(&action))
      Send(*s);
    else if (auto* cl = std::get_if<CloseAction>(&action))
      Close(cl->conn);
    else
      return false;
    return true;
  }

  const SimTcpStats& stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // socket callbacks hold it weakly: they may outlive us
};

template <class Core>
SimTcpEvents CoreTcpEvents(Core& core, std::function<void()> after) {
  Core* c = &core;
  SimTcpEvents e{
      .connected = [c, after](ConnId id) { c->on_connected(SimNow(), id), after(); },
      .connect_failed = [c, after](ConnId id, std::string_view why) { c->on_connect_failed(SimNow(), id, why), after(); },
      .bytes = [c, after](ConnId id, ByteView b) { c->on_bytes(SimNow(), id, b), after(); },
      .closed = [c, after](ConnId id) { c->on_closed(SimNow(), id), after(); },
      .reset = [c, after](ConnId id) { c->on_reset(SimNow(), id), after(); },
      .icmp = {},
  };
  if constexpr (requires(IcmpReport r) { c->on_icmp(Timestamp{}, ConnId{}, r); }) {
    e.icmp = [c, after](ConnId id, const IcmpReport& r) { c->on_icmp(SimNow(), id, r), after(); };
  }
  return e;
}

}  // namespace mitmlab
