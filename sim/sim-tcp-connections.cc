#include "sim/sim-tcp-connections.h"

#include <algorithm>
#include <deque>
#include <map>
#include <string>

#include <ns3/callback.h>
#include <ns3/inet-socket-address.h>
#include <ns3/ipv4-address.h>
#include <ns3/packet.h>
#include <ns3/simulator.h>
#include <ns3/socket.h>
#include <ns3/tcp-header.h>
#include <ns3/tcp-socket-base.h>
#include <ns3/tcp-socket-factory.h>

#include "net/ipv4-address.h"

namespace mitmlab {

namespace {

using IcmpCallback = ns3::Callback<void, ns3::Ipv4Address, std::uint8_t, std::uint8_t, std::uint8_t, std::uint32_t>;

std::string socket_error(ns3::Socket::SocketErrno e) {
  switch (e) {
    case ns3::Socket::ERROR_NOROUTETOHOST: return "no route to host";
    case ns3::Socket::ERROR_ADDRINUSE: return "address in use";
    case ns3::Socket::ERROR_ADDRNOTAVAIL: return "address not available";
    default: return "ns-3 socket error " + std::to_string(static_cast<int>(e));
  }
}

}  // namespace

struct SimTcpConnections::Impl {
  struct Chunk {
    Bytes bytes;
    std::size_t offset = 0;
    std::optional<std::uint8_t> ttl;
  };
  struct Conn {
    ns3::Ptr<ns3::Socket> socket;
    bool connected = false;
    bool rst_seen = false;
    bool ended = false;  // TCP is done with it (FIN, RST, error); waits for the core's Close
    std::deque<Chunk> pending;
  };

  std::weak_ptr<Impl> weak_self;
  ns3::Ptr<ns3::Node> node;
  SimTcpEvents events;
  std::map<ConnId, Conn> conns;
  SimTcpStats stats;

  Conn* find(ConnId conn) {
    auto it = conns.find(conn);
    return it == conns.end() ? nullptr : &it->second;
  }

  void Connect(const std::shared_ptr<Impl>& self, const ConnectAction& a);
  void Send(const SendAction& a);
  void Close(ConnId conn);
  void Forget(ConnId conn);
  void Flush(ConnId conn);
  void Read(ConnId conn);
  void ConnectFailed(ConnId conn, std::string_view why);
  void Reset(ConnId conn);
  void Ended(ConnId conn, bool error);

  // Socket callbacks run through this: it holds the table weakly, since ns-3 may call a
  // socket (its Rx trace, say) after the table is gone.
  template <typename... Args, typename F>
  static auto Guarded(const std::shared_ptr<Impl>& self, F f) {
    return [weak = std::weak_ptr<Impl>(self), f](Args... args) {
      if (auto s = weak.lock()) f(*s, args...);
    };
  }

  void OnConnected(ConnId conn) {
    Conn* c = find(conn);
    if (!c || c->ended) return;
    c->connected = true;
    events.connected(conn);  // the core's first bytes usually come back through Send()
    Flush(conn);
  }
  void OnRx(ConnId conn, const ns3::TcpHeader& header) {
    Conn* c = find(conn);
    if (!c || !(header.GetFlags() & ns3::TcpHeader::RST)) return;
    c->rst_seen = true;
    // ns-3.37 ignores a RST+ACK in SYN_SENT (it matches its "ignore ACK" case) and keeps
    // resending the SYN: report the refusal ourselves, once TCP has finished with this
    // segment (we are inside its receive path).
    if (!c->connected && !c->ended)
      ns3::Simulator::ScheduleNow([weak = weak_self, conn] {
        if (auto s = weak.lock()) s->Refused(conn);
      });
  }
  void Refused(ConnId conn) {
    Conn* c = find(conn);
    if (!c || c->connected || c->ended) return;
    c->ended = true;     // what Close() reports about it is ours to say
    c->socket->Close();  // stops the SYNs; ns-3 says so with a RST (the peer has no state to reset)
    ConnectFailed(conn, "connection refused");
  }
  void OnIcmp(ConnId conn, ns3::Ipv4Address from, std::uint8_t type, std::uint8_t code) {
    Conn* c = find(conn);
    if (!c || c->ended || !events.icmp) return;
    ++stats.icmp_errors;
    events.icmp(conn, IcmpReport{mitmlab::Ipv4Address(from.Get()), type, code});
  }
};

void SimTcpConnections::Impl::Connect(const std::shared_ptr<Impl>& self, const ConnectAction& a) {
  ++stats.connects;
  Result<mitmlab::Ipv4Address> address = mitmlab::Ipv4Address::parse(a.address);
  if (!address) {
    ++stats.connect_failures;
    events.connect_failed(a.conn, "not a numeric IPv4 address: " + a.address);
    return;
  }
  if (conns.count(a.conn)) return;  // a core never reuses an id; ignore it if one did
  using ns3::Ptr;
  using ns3::Socket;
  const ConnId id = a.conn;
  Ptr<Socket> socket = Socket::CreateSocket(node, ns3::TcpSocketFactory::GetTypeId());
  socket->SetConnectCallback(
      ns3::Callback<void, Ptr<Socket>>(Guarded<Ptr<Socket>>(self, [id](Impl& s, Ptr<Socket>) { s.OnConnected(id); })),
      ns3::Callback<void, Ptr<Socket>>(Guarded<Ptr<Socket>>(
          self, [id](Impl& s, Ptr<Socket>) { s.ConnectFailed(id, "connection timed out"); })));
  socket->SetRecvCallback(
      ns3::Callback<void, Ptr<Socket>>(Guarded<Ptr<Socket>>(self, [id](Impl& s, Ptr<Socket>) { s.Read(id); })));
  socket->SetSendCallback(ns3::Callback<void, Ptr<Socket>, std::uint32_t>(
      Guarded<Ptr<Socket>, std::uint32_t>(self, [id](Impl& s, Ptr<Socket>, std::uint32_t) { s.Flush(id); })));
  socket->SetCloseCallbacks(
      ns3::Callback<void, Ptr<Socket>>(Guarded<Ptr<Socket>>(self, [id](Impl& s, Ptr<Socket>) { s.Ended(id, false); })),
      ns3::Callback<void, Ptr<Socket>>(Guarded<Ptr<Socket>>(self, [id](Impl& s, Ptr<Socket>) { s.Ended(id, true); })));
  socket->TraceConnectWithoutContext(
      "Rx", ns3::Callback<void, Ptr<const ns3::Packet>, const ns3::TcpHeader&, Ptr<const ns3::TcpSocketBase>>(
                Guarded<Ptr<const ns3::Packet>, const ns3::TcpHeader&, Ptr<const ns3::TcpSocketBase>>(
                    self, [id](Impl& s, Ptr<const ns3::Packet>, const ns3::TcpHeader& h,
                               Ptr<const ns3::TcpSocketBase>) { s.OnRx(id, h); })));
  if (events.icmp) {
    socket->SetAttribute(
        "IcmpCallback",
        ns3::CallbackValue(IcmpCallback(Guarded<ns3::Ipv4Address, std::uint8_t, std::uint8_t, std::uint8_t, std::uint32_t>(
            self, [id](Impl& s, ns3::Ipv4Address from, std::uint8_t, std::uint8_t type, std::uint8_t code,
                       std::uint32_t) { s.OnIcmp(id, from, type, code); }))));
  }
  conns[id].socket = socket;
  ++stats.open;
  stats.max_open = std::max(stats.max_open, stats.open);
  if (socket->Bind() != 0 ||
      socket->Connect(ns3::InetSocketAddress(ns3::Ipv4Address(address->value), a.port)) != 0) {
    ConnectFailed(id, socket_error(socket->GetErrno()));
  }
}

void SimTcpConnections::Impl::Send(const SendAction& a) {
  Conn* c = find(a.conn);
  if (!c || c->ended) return;
  c->pending.push_back(Chunk{a.bytes, 0, a.ttl});
  if (c->connected) Flush(a.conn);
}

void SimTcpConnections::Impl::Flush(ConnId conn) {
  Conn* c = find(conn);
  if (!c || c->ended || !c->connected) return;
  while (!c->pending.empty()) {
    Chunk& chunk = c->pending.front();
    const std::uint32_t room = c->socket->GetTxAvailable();
    if (room == 0) {
      ++stats.send_stalls;
      return;  // the send callback brings us back
    }
    if (chunk.ttl) c->socket->SetIpTtl(*chunk.ttl);  // applies to these bytes and what follows
    chunk.ttl.reset();
    const std::size_t n = std::min<std::size_t>(room, chunk.bytes.size() - chunk.offset);
    auto packet = ns3::Create<ns3::Packet>(chunk.bytes.data() + chunk.offset, static_cast<std::uint32_t>(n));
    const int sent = c->socket->Send(packet, 0);
    if (sent < 0) {  // closed or reset under us, as EPIPE would say live
      Reset(conn);
      return;
    }
    stats.bytes_sent += static_cast<std::uint64_t>(sent);
    chunk.offset += static_cast<std::size_t>(sent);
    if (chunk.offset == chunk.bytes.size()) c->pending.pop_front();
  }
}

void SimTcpConnections::Impl::Read(ConnId conn) {
  Bytes buf;
  for (;;) {
    Conn* c = find(conn);
    if (!c || !c->connected || c->ended) return;  // gone: the core closed it while handling bytes
    ns3::Ptr<ns3::Packet> packet = c->socket->Recv();
    if (!packet || packet->GetSize() == 0) return;
    buf.resize(packet->GetSize());
    packet->CopyData(buf.data(), packet->GetSize());
    stats.bytes_received += buf.size();
    events.bytes(conn, ByteView(buf.data(), buf.size()));
  }
}

// ns-3 reports a RST with the normal close callback: the Rx trace told us which it was.
void SimTcpConnections::Impl::Ended(ConnId conn, bool error) {
  Conn* c = find(conn);
  if (!c || c->ended) return;
  if (!c->connected) {
    ConnectFailed(conn, c->rst_seen ? "connection refused" : "connection failed");
    return;
  }
  Read(conn);  // whatever arrived with the FIN
  c = find(conn);
  if (!c || c->ended) return;
  if (error || c->rst_seen) {
    Reset(conn);
    return;
  }
  c->ended = true;
  events.closed(conn);
}

void SimTcpConnections::Impl::Reset(ConnId conn) {
  Conn* c = find(conn);
  if (!c || c->ended) return;
  c->ended = true;
  ++stats.resets;
  events.reset(conn);
}

// The core does not close a connection it was told failed: forget it here.
void SimTcpConnections::Impl::ConnectFailed(ConnId conn, std::string_view why) {
  Conn* c = find(conn);
  if (!c) return;
  c->ended = true;
  Forget(conn);
  ++stats.connect_failures;
  events.connect_failed(conn, why);
}

void SimTcpConnections::Impl::Close(ConnId conn) {
  if (Conn* c = find(conn)) {
    if (!c->ended) {
      c->ended = true;
      c->socket->Close();
    }
    Forget(conn);
  }
}

void SimTcpConnections::Impl::Forget(ConnId conn) {
  auto it = conns.find(conn);
  if (it == conns.end()) return;
  ns3::Ptr<ns3::Socket> s = it->second.socket;
  s->SetConnectCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>(),
                        ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  s->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  s->SetSendCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>, std::uint32_t>());
  s->SetCloseCallbacks(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>(),
                       ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  if (events.icmp) s->SetAttribute("IcmpCallback", ns3::CallbackValue(IcmpCallback()));
  conns.erase(it);
  --stats.open;
}

SimTcpConnections::SimTcpConnections(ns3::Ptr<ns3::Node> node, SimTcpEvents events)
    : impl_(std::make_shared<Impl>()) {
  impl_->weak_self = impl_;
  impl_->node = node;
  impl_->events = std::move(events);
}

SimTcpConnections::~SimTcpConnections() {
  while (!impl_->conns.empty()) impl_->Close(impl_->conns.begin()->first);
}

void SimTcpConnections::Connect(const ConnectAction& action) { impl_->Connect(impl_, action); }
void SimTcpConnections::Send(const SendAction& action) { impl_->Send(action); }
void SimTcpConnections::Close(ConnId conn) { impl_->Close(conn); }
const SimTcpStats& SimTcpConnections::stats() const { return impl_->stats; }

}  // namespace mitmlab
