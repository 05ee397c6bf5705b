// A TLS server on ns-3 TCP: real OpenSSL over memory BIOs, one SSL per accepted socket.
//
// The certificate chain is chosen per SNI (exact host name, case-insensitive) with a
// default for unknown or missing names; or, for one app serving many addresses (a server
// site), by a resolver asked with the connection's local address and SNI. After the handshake it answers HTTP/1.1 GET
// requests with a deterministic body (HttpBodyByte) whose size comes from the path
// ("/bytes/N" gives N bytes, anything else DefaultBodySize), honouring
// "Connection: close". The TLS records carrying each client's ClientHello are traced as
// raw bytes ("ClientHello") so experiments can fingerprint it (JA3/JA4).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <ns3/address.h>
#include <ns3/application.h>
#include <ns3/ipv4-address.h>
#include <ns3/socket.h>
#include <ns3/traced-callback.h>

#include "net/bytes.h"
#include "net/openssl.h"
#include "sim/tls-credentials.h"

namespace mitmlab {

// Byte i of every response body: a fixed, non-periodic pattern so a test can check any
// received body without keeping a copy.
std::uint8_t HttpBodyByte(std::uint64_t i);
Bytes HttpBody(std::uint64_t size);

// Chooses the chain for a connection to `local` with SNI `sni` ("" when the client sent
// none); null: fall back to the per-SNI and default credentials.
using CredentialsResolver = std::function<TlsCredentialsPtr(ns3::Ipv4Address local, std::string_view sni)>;

class TlsServerApp : public ns3::Application {
 public:
  static ns3::TypeId GetTypeId();
  TlsServerApp();
  ~TlsServerApp() override;

  // Must be called before the application starts; default credentials or a resolver are
  // required. A connection for which nothing yields a chain fails its handshake.
  void SetDefaultCredentials(TlsCredentialsPtr credentials);
  void AddCredentials(const std::string& hostName, TlsCredentialsPtr credentials);
  // Asked first, once when a connection is accepted (SNI "") and again once its SNI is known.
  void SetCredentialsResolver(CredentialsResolver resolver);

  struct Counters {
    std::uint64_t accepted = 0;
    std::uint64_t handshakes = 0;
    std::uint64_t handshakeFailures = 0;
    std::uint64_t requests = 0;
    std::uint64_t badRequests = 0;
    std::uint64_t resets = 0;       // connections that ended with an error close
    std::uint64_t notTls = 0;       // first bytes did not start a TLS handshake record
    std::uint64_t sendStalls = 0;   // flushes that left bytes waiting for TCP send-buffer space
  };
  const Counters& GetCounters() const { return m_counters; }

  // Trace signatures.
  typedef void (*ClientHelloCallback)(const ns3::Address& peer, const Bytes& record);
  typedef void (*ClientHelloAtCallback)(ns3::Ipv4Address local, const ns3::Address& peer, const Bytes& record);
  typedef void (*HandshakeCallback)(const ns3::Address& peer, const std::string& serverName);

 private:
  struct Session;

  void StartApplication() override;
  void StopApplication() override;
  void DoDispose() override;

  bool CreateContext();
  void HandleAccept(ns3::Ptr<ns3::Socket> socket, const ns3::Address& from);
  void HandleRead(ns3::Ptr<ns3::Socket> socket);
  void HandleSend(ns3::Ptr<ns3::Socket> socket, std::uint32_t available);
  void HandlePeerClose(ns3::Ptr<ns3::Socket> socket);
  void HandleError(ns3::Ptr<ns3::Socket> socket);

  void RecordClientHello(Session& session, ByteView bytes);
  void Advance(Session& session);
  void ServeRequests(Session& session);
  // Sends what the SSL produced; closes the socket and forgets the session when asked
  // to and everything is out. Returns false when the session is gone.
  bool Flush(Session& session);
  void Forget(ns3::Ptr<ns3::Socket> socket);
  static int ServerNameCallback(SSL* ssl, int* alert, void* arg);
  bool UseCredentials(SSL* ssl, const TlsCredentials& credentials);
  TlsCredentialsPtr ChooseCredentials(ns3::Ipv4Address local, std::string_view sni) const;

  // Attributes.
  std::uint16_t m_port = 443;
  std::uint32_t m_defaultBodySize = 1024;
  std::uint32_t m_maxBodySize = 64 * 1024 * 1024;
  std::uint32_t m_maxTlsVersion = 0;  // 12 or 13; 0 = OpenSSL's default

  TlsCredentialsPtr m_defaultCredentials;
  std::map<std::string, TlsCredentialsPtr> m_credentials;  // lower-case host name
  CredentialsResolver m_resolver;
  SslCtxPtr m_ctx;
  ns3::Ptr<ns3::Socket> m_listener;
  std::map<ns3::Ptr<ns3::Socket>, std::unique_ptr<Session>> m_sessions;
  Counters m_counters;

  ns3::TracedCallback<const ns3::Address&, const Bytes&> m_clientHelloTrace;
  ns3::TracedCallback<ns3::Ipv4Address, const ns3::Address&, const Bytes&> m_clientHelloAtTrace;
  ns3::TracedCallback<const ns3::Address&, const std::string&> m_handshakeTrace;
};

}  // namespace mitmlab
