#include "sim/tls-client-app.h"
#include "net/key-log.h"

#include <cctype>
#include <charconv>

#include <openssl/err.h>

#include <ns3/address-utils.h>
#include <ns3/inet-socket-address.h>
#include <ns3/integer.h>
#include <ns3/log.h>
#include <ns3/string.h>
#include <ns3/tcp-socket-factory.h>
#include <ns3/uinteger.h>

#include "sim/tls-socket-pump.h"

namespace mitmlab {

NS_LOG_COMPONENT_DEFINE("MitmlabTlsClientApp");
NS_OBJECT_ENSURE_REGISTERED(TlsClientApp);

ns3::TypeId TlsClientApp::GetTypeId() {
  static ns3::TypeId tid =
      ns3::TypeId("mitmlab::TlsClientApp")
          .SetParent<ns3::Application>()
          .SetGroupName("Mitmlab")
          .AddConstructor<TlsClientApp>()
          .AddAttribute("Remote", "The server's address and port (InetSocketAddress).",
                        ns3::AddressValue(), ns3::MakeAddressAccessor(&TlsClientApp::m_remote),
                        ns3::MakeAddressChecker())
          .AddAttribute("ServerName", "SNI to send and host name to verify; empty sends none.",
                        ns3::StringValue(""), ns3::MakeStringAccessor(&TlsClientApp::m_serverName),
                        ns3::MakeStringChecker())
          .AddAttribute("Path", "HTTP path to GET after the handshake; empty for none.",
                        ns3::StringValue(""), ns3::MakeStringAccessor(&TlsClientApp::m_path),
                        ns3::MakeStringChecker())
          .AddAttribute("Requests", "How many GETs of Path to make, one after another, on the connection.",
                        ns3::UintegerValue(1), ns3::MakeUintegerAccessor(&TlsClientApp::m_requests),
                        ns3::MakeUintegerChecker<std::uint32_t>(1))
          .AddAttribute("ClientHelloTtl", "IP TTL of the ClientHello segments; 0 for the socket's.",
                        ns3::UintegerValue(0), ns3::MakeUintegerAccessor(&TlsClientApp::m_helloTtl),
                        ns3::MakeUintegerChecker<std::uint32_t>(0, 255))
          .AddAttribute("MaxTlsVersion", "12 or 13 to cap the protocol version; 0 for OpenSSL's default.",
                        ns3::UintegerValue(0), ns3::MakeUintegerAccessor(&TlsClientApp::m_maxTlsVersion),
                        ns3::MakeUintegerChecker<std::uint32_t>(0, 13))
          .AddAttribute("VerifyTime",
                        "Unix time (seconds) at which to judge certificate validity; 0 uses the "
                        "host clock. Set it for results that do not depend on when the run happens.",
                        ns3::IntegerValue(0), ns3::MakeIntegerAccessor(&TlsClientApp::m_verifyTime),
                        ns3::MakeIntegerChecker<std::int64_t>(0))
          .AddTraceSource("Handshake", "The TLS handshake finished (or failed).",
                          ns3::MakeTraceSourceAccessor(&TlsClientApp::m_handshakeTrace),
                          "mitmlab::TlsClientApp::HandshakeCallback");
  return tid;
}

TlsClientApp::TlsClientApp() = default;
TlsClientApp::~TlsClientApp() = default;

void TlsClientApp::SetTrustStore(X509_STORE* store) {
  X509_STORE_up_ref(store);
  m_trustStore.reset(store);
}

SslCtxPtr MakeTlsClientContext(X509_STORE* trust, std::uint32_t maxTlsVersion, std::int64_t verifyTime) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return ctx;
  attach_key_log(ctx.get());
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  if (maxTlsVersion == 12) SSL_CTX_set_max_proto_version(ctx.get(), TLS1_2_VERSION);
  if (maxTlsVersion == 13) SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
  if (trust) {
    X509_STORE_up_ref(trust);
    SSL_CTX_set_cert_store(ctx.get(), trust);
  }
  // Verify, record, carry on: the verdict is data, not a reason to stop.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  if (verifyTime != 0) X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(ctx.get()), verifyTime);
  return ctx;
}

void TlsClientApp::SetSharedContext(SSL_CTX* ctx) {
  SSL_CTX_up_ref(ctx);
  m_ctx.reset(ctx);
}

void TlsClientApp::StartApplication() {
  if (!m_ctx) m_ctx = MakeTlsClientContext(m_trustStore.get(), m_maxTlsVersion, m_verifyTime);
  NS_ABORT_MSG_IF(!m_ctx, "SSL_CTX_new failed: " << drain_openssl_errors());

  m_socket = ns3::Socket::CreateSocket(GetNode(), ns3::TcpSocketFactory::GetTypeId());
  m_socket->Bind();
  m_socket->SetConnectCallback(ns3::MakeCallback(&TlsClientApp::ConnectionSucceeded, this),
                               ns3::MakeCallback(&TlsClientApp::ConnectionFailed, this));
  m_socket->SetRecvCallback(ns3::MakeCallback(&TlsClientApp::HandleRead, this));
  m_socket->SetSendCallback(ns3::MakeCallback(&TlsClientApp::HandleSend, this));
  m_socket->SetCloseCallbacks(ns3::MakeCallback(&TlsClientApp::HandlePeerClose, this),
                              ns3::MakeCallback(&TlsClientApp::HandleError, this));
  m_socket->Connect(m_remote);
}

void TlsClientApp::StopApplication() {
  if (m_socket) Finish();
}

void TlsClientApp::DoDispose() {
  m_socket = nullptr;
  m_ssl.reset();
  m_ctx.reset();
  m_trustStore.reset();
  ns3::Application::DoDispose();
}

void TlsClientApp::ConnectionSucceeded(ns3::Ptr<ns3::Socket>) {
  m_result.connected = true;
  m_ssl.reset(SSL_new(m_ctx.get()));
  BioPtr rbio(BIO_new(BIO_s_mem())), wbio(BIO_new(BIO_s_mem()));
  NS_ABORT_MSG_IF(!m_ssl || !rbio || !wbio, "SSL_new/BIO_new failed: " << drain_openssl_errors());
  m_rbio = rbio.release();  // m_ssl owns both from here
  m_wbio = wbio.release();
  SSL_set_bio(m_ssl.get(), m_rbio, m_wbio);
  if (!m_serverName.empty()) {
    SSL_set_tlsext_host_name(m_ssl.get(), m_serverName.c_str());
    SSL_set1_host(m_ssl.get(), m_serverName.c_str());  // host name mismatch shows in verifyResult
  }
  SSL_set_connect_state(m_ssl.get());
  Advance();
}

void TlsClientApp::ConnectionFailed(ns3::Ptr<ns3::Socket>) {
  m_result.connectFailed = true;
  m_result.error = "TCP connection failed";
  Finish();
}

void TlsClientApp::HandleRead(ns3::Ptr<ns3::Socket> socket) {
  if (!m_ssl) return;
  FeedSocketToBio(socket, m_rbio, &m_result.received);
  Advance();
}

void TlsClientApp::HandleSend(ns3::Ptr<ns3::Socket>, std::uint32_t) {
  if (m_ssl) Flush();
}

void TlsClientApp::HandlePeerClose(ns3::Ptr<ns3::Socket>) {
  m_result.closedByPeer = true;
  if (!m_result.handshakeDone && !m_result.handshakeFailed) m_result.error = "closed during handshake";
  Finish();
}

void TlsClientApp::HandleError(ns3::Ptr<ns3::Socket>) {
  m_result.reset = true;
  if (m_result.error.empty()) m_result.error = "connection reset";
  Finish();
}

void TlsClientApp::Advance() {
  if (m_finishing) return;
  if (!m_result.handshakeDone && !m_result.handshakeFailed) {
    const int r = SSL_do_handshake(m_ssl.get());
    if (r == 1) {
      m_result.handshakeDone = true;
      m_result.verifyResult = SSL_get_verify_result(m_ssl.get());
      m_result.version = SSL_get_version(m_ssl.get());
      m_result.cipher = SSL_get_cipher_name(m_ssl.get());
      if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(m_ssl.get())) {
        for (int i = 0; i < sk_X509_num(chain); ++i) m_result.peerChain.push_back(x509_to_der(sk_X509_value(chain, i)));
      }
      m_handshakeTrace(m_result);
    } else if (SSL_get_error(m_ssl.get(), r) != SSL_ERROR_WANT_READ) {
      m_result.handshakeFailed = true;
      m_result.error = "TLS handshake failed: " + drain_openssl_errors();
      m_handshakeTrace(m_result);
      Flush();  // the alert
      Finish();
      return;
    }
  }
  if (m_result.handshakeDone) {
    if (m_path.empty()) {
      SSL_shutdown(m_ssl.get());
      Flush();
      Finish();
      return;
    }
    if (m_requestsSent == 0) SendRequest();
    ReadResponses();
    if (m_result.responseComplete) {
      SSL_shutdown(m_ssl.get());
      Flush();
      Finish();
      return;
    }
  }
  Flush();
}

void TlsClientApp::SendRequest() {
  ++m_requestsSent;
  const bool last = m_requestsSent == m_requests;
  const std::string request = "GET " + m_path + " HTTP/1.1\r\nHost: " + m_serverName +
                              "\r\nConnection: " + (last ? "close" : "keep-alive") + "\r\n\r\n";
  SSL_write(m_ssl.get(), request.data(), static_cast<int>(request.size()));
}

void TlsClientApp::ReadResponses() {
  char buf[16384];
  int n;
  while ((n = SSL_read(m_ssl.get(), buf, sizeof buf)) > 0) {
    std::string_view chunk(buf, static_cast<std::size_t>(n));
    std::string rest;  // bytes that followed a response head; `chunk` may point into it
    while (!chunk.empty() && !m_result.responseComplete) {
      if (!m_inBody) {
        m_plain.append(chunk);
        chunk = {};
        const std::size_t end = m_plain.find("\r\n\r\n");
        if (end == std::string::npos) break;
        m_result.responseHead = m_plain.substr(0, end + 4);
        std::string lower = m_result.responseHead;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        m_contentLength = 0;
        const std::size_t cl = lower.find("\r\ncontent-length:");
        if (cl != std::string::npos) {
          std::size_t p = cl + 17;
          while (p < lower.size() && lower[p] == ' ') ++p;
          std::from_chars(lower.data() + p, lower.data() + lower.size(), m_contentLength);
        }
        m_inBody = true;
        m_result.responseBody.clear();
        // Whatever followed the head is body (and maybe the next response).
        rest = m_plain.substr(end + 4);
        m_plain.clear();
        chunk = rest;
      }
      const std::size_t want = m_contentLength - m_result.responseBody.size();
      const std::size_t take = std::min(want, chunk.size());
      m_result.responseBody.insert(m_result.responseBody.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(take));
      chunk.remove_prefix(take);
      if (m_result.responseBody.size() == m_contentLength) {
        m_inBody = false;
        ++m_result.responses;
        if (m_result.responses == m_requests) {
          m_result.responseComplete = true;
        } else {
          SendRequest();
        }
      }
    }
  }
  ERR_clear_error();
}

void TlsClientApp::Flush() {
  // Only the first flight carries the ClientHello: that is the one to tag with a TTL.
  const std::uint8_t ttl = m_helloSent ? 0 : static_cast<std::uint8_t>(m_helloTtl);
  if (BIO_ctrl_pending(m_wbio) > 0) m_helloSent = true;
  PumpBioToSocket(m_wbio, m_socket, &m_result.sent, ttl);
}

void TlsClientApp::Finish() {
  if (m_finishing || !m_socket) return;
  m_finishing = true;
  m_socket->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  m_socket->SetSendCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>, std::uint32_t>());
  m_socket->SetCloseCallbacks(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>(),
                              ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  m_socket->Close();
}

}  // namespace mitmlab
