// Helpers for the engine's ns-3 tests: a strict TLS client that refuses an untrusted chain
// (as a browser does: it sends an alert and stops), a processor wrapper that delays chosen
// packets (a slow origin), and a server ClientHello log with the sender's address.
#pragma once

#include <cstdint>
#include <ctime>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ns3/address.h>
#include <ns3/node.h>
#include <ns3/nstime.h>
#include <ns3/socket.h>

#include "interceptor/bump-io.h"
#include "net/bytes.h"
#include "net/openssl.h"
#include "sim/tls-server-app.h"

namespace mitmlab::test {

// A TLS client that verifies the chain during the handshake (SSL_VERIFY_PEER) against a
// trust store at a chosen time: an untrusted chain ends in an alert, as a browser's would.
class StrictTlsClient {
 public:
  StrictTlsClient(ns3::Ptr<ns3::Node> node, const ns3::Address& remote, std::string sni, X509_STORE* trust,
                  std::time_t verify_at);
  void Start(ns3::Time at);

  bool connected = false;
  bool handshake_done = false;
  bool handshake_failed = false;
  bool reset = false;  // the connection ended with an error (RST)
  long verify_result = -1;
  std::vector<Bytes> peer_chain;

 private:
  void Connect();
  void Connected(ns3::Ptr<ns3::Socket> socket);
  void Failed(ns3::Ptr<ns3::Socket> socket);
  void Read(ns3::Ptr<ns3::Socket> socket);
  void Closed(ns3::Ptr<ns3::Socket> socket);
  void Errored(ns3::Ptr<ns3::Socket> socket);
  void Step();

  ns3::Ptr<ns3::Node> node_;
  ns3::Address remote_;
  std::string sni_;
  X509StorePtr trust_;
  std::time_t verify_at_;
  ns3::Ptr<ns3::Socket> socket_;
  SslCtxPtr ctx_;
  SslPtr ssl_;
  BIO* rbio_ = nullptr;  // owned by ssl_
  BIO* wbio_ = nullptr;
};

// Wraps a processor; packets for which `delay_if` holds reach it `delay` later (the wrapper
// keeps them and its own timer meanwhile).
class DelayingProcessor : public PacketProcessor {
 public:
  using Predicate = std::function<bool(LinkSide from, ByteView ipv4)>;
  DelayingProcessor(std::shared_ptr<PacketProcessor> inner, Predicate delay_if, Duration delay)
      : inner_(std::move(inner)), delay_if_(std::move(delay_if)), delay_(delay) {}

  Disposition on_packet(Timestamp now, LinkSide from, ByteView ipv4) override;
  std::optional<OutboundPacket> poll_transmit() override;
  std::optional<Timestamp> next_timeout() const override;
  void on_timeout(Timestamp now) override;

  std::uint64_t delayed = 0;

 private:
  struct Late {
    Timestamp due;
    LinkSide from;
    Bytes ipv4;
  };
  std::shared_ptr<PacketProcessor> inner_;
  Predicate delay_if_;
  Duration delay_;
  std::deque<Late> late_;
  std::deque<OutboundPacket> out_;
};

struct ServerHello {
  std::uint32_t addr = 0;  // host order
  std::uint16_t port = 0;
  Bytes record;
};

// Records every ClientHello the server traces, with the sender's address and port.
void LogClientHellos(ns3::Ptr<TlsServerApp> server, std::vector<ServerHello>* log);

// The JA3 hash of a traced ClientHello record ("" if it does not parse).
std::string Ja3Of(const Bytes& record);

}  // namespace mitmlab::test
