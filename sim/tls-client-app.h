// A TLS client on ns-3 TCP: connects, handshakes with a given SNI against a trust store,
// records what it saw (verify result, the peer's chain as DER, every byte on the wire),
// and optionally fetches an HTTP/1.1 path, Requests times in a row on one connection
// (the last request says "Connection: close").
//
// Verification never aborts the handshake: the client finishes it and records
// SSL_get_verify_result, which is what a scanner needs to tell a forged chain apart.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ns3/address.h>
#include <ns3/application.h>
#include <ns3/socket.h>
#include <ns3/traced-callback.h>

#include "net/bytes.h"
#include "net/openssl.h"

namespace mitmlab {

struct TlsClientResult {
  bool connected = false;          // TCP handshake completed
  bool connectFailed = false;      // TCP connection refused or timed out
  bool handshakeDone = false;
  bool handshakeFailed = false;    // TLS alert or protocol error
  bool reset = false;              // the connection ended with an error (RST)
  bool closedByPeer = false;
  bool responseComplete = false;   // every requested response arrived in full
  std::uint32_t responses = 0;     // complete responses (headers and Content-Length bytes)
  long verifyResult = -1;          // X509_V_OK (0) when the chain and host name verified
  std::string version;             // "TLSv1.2", "TLSv1.3"
  std::string cipher;
  std::vector<Bytes> peerChain;    // DER, leaf first, as sent by the server
  std::string responseHead;        // status line and headers of the latest response
  Bytes responseBody;              // body of the latest response (so far)
  Bytes sent;                      // every TCP payload byte sent
  Bytes received;                  // every TCP payload byte received
  std::string error;
};

// The SSL_CTX a TlsClientApp makes for itself: no tickets, no session cache, verification
// recorded rather than enforced, at `verifyTime` (Unix seconds; 0 = the host clock);
// `maxTlsVersion` 12 or 13 caps the version (0: OpenSSL's default). Null if OpenSSL fails.
SslCtxPtr MakeTlsClientContext(X509_STORE* trust, std::uint32_t maxTlsVersion, std::int64_t verifyTime);

class TlsClientApp : public ns3::Application {
 public:
  static ns3::TypeId GetTypeId();
  TlsClientApp();
  ~TlsClientApp() override;

  // The trust anchors for verification (shared, reference counted). Without one every
  // chain fails to verify (the result is still recorded).
  void SetTrustStore(X509_STORE* store);
  // A context made by MakeTlsClientContext and shared by many clients (a reference is
  // taken): the client then skips making its own, which costs OpenSSL 3 about as much as a
  // third of a handshake. The trust store, MaxTlsVersion and VerifyTime it was made with
  // replace the client's. Not for deterministic runs: each context made draws from
  // OpenSSL's random generator, so sharing one changes what every later client draws.
  void SetSharedContext(SSL_CTX* ctx);
  const TlsClientResult& GetResult() const { return m_result; }

  typedef void (*HandshakeCallback)(const TlsClientResult& result);

 private:
  void StartApplication() override;
  void StopApplication() override;
  void DoDispose() override;

  void ConnectionSucceeded(ns3::Ptr<ns3::Socket> socket);
  void ConnectionFailed(ns3::Ptr<ns3::Socket> socket);
  void HandleRead(ns3::Ptr<ns3::Socket> socket);
  void HandleSend(ns3::Ptr<ns3::Socket> socket, std::uint32_t available);
  void HandlePeerClose(ns3::Ptr<ns3::Socket> socket);
  void HandleError(ns3::Ptr<ns3::Socket> socket);

  void Advance();
  void ReadResponses();
  void SendRequest();
  void Flush();
  void Finish();  // close the socket and stop listening to it

  // Attributes.
  ns3::Address m_remote;
  std::string m_serverName;
  std::string m_path;              // empty: handshake only
  std::uint32_t m_requests = 1;    // GETs on one connection; only the last says Connection: close
  std::uint32_t m_helloTtl = 0;    // non-zero: IP TTL of the segments carrying the ClientHello
  std::uint32_t m_maxTlsVersion = 0;
  std::int64_t m_verifyTime = 0;   // Unix seconds to verify at; 0 = the host's clock

  X509StorePtr m_trustStore;
  SslCtxPtr m_ctx;
  SslPtr m_ssl;
  BIO* m_rbio = nullptr;  // owned by m_ssl
  BIO* m_wbio = nullptr;  // owned by m_ssl
  ns3::Ptr<ns3::Socket> m_socket;
  bool m_helloSent = false;
  std::uint32_t m_requestsSent = 0;
  bool m_inBody = false;  // the latest response's head has been parsed
  bool m_finishing = false;
  std::string m_plain;  // decrypted bytes of the response head being read
  std::uint64_t m_contentLength = 0;
  TlsClientResult m_result;

  ns3::TracedCallback<const TlsClientResult&> m_handshakeTrace;
};

}  // namespace mitmlab
