#include "sim/tls-server-app.h"
#include "net/key-log.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <openssl/err.h>

#include <ns3/inet-socket-address.h>
#include <ns3/log.h>
#include <ns3/tcp-socket-factory.h>
#include <ns3/uinteger.h>

#include "sim/tls-socket-pump.h"

namespace mitmlab {

NS_LOG_COMPONENT_DEFINE("MitmlabTlsServerApp");
NS_OBJECT_ENSURE_REGISTERED(TlsServerApp);

namespace {

constexpr std::size_t kMaxRequestHead = 16 * 1024;
constexpr std::size_t kMaxClientHello = 64 * 1024;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

int VersionConstant(std::uint32_t v) {
  return v == 12 ? TLS1_2_VERSION : v == 13 ? TLS1_3_VERSION : 0;
}

}  // namespace

std::uint8_t HttpBodyByte(std::uint64_t i) {
  // A splitmix64 step: every offset gets an unrelated byte, so a shifted, repeated or
  // reordered chunk of the body cannot pass for the right one.
  std::uint64_t z = i + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return static_cast<std::uint8_t>(z ^ (z >> 31));
}

Bytes HttpBody(std::uint64_t size) {
  Bytes body(size);
  for (std::uint64_t i = 0; i < size; ++i) body[i] = HttpBodyByte(i);
  return body;
}

struct TlsServerApp::Session {
  ns3::Ptr<ns3::Socket> socket;
  ns3::Address peer;
  ns3::Ipv4Address local;  // the address the client connected to
  SslPtr ssl;
  BIO* rbio = nullptr;  // owned by ssl
  BIO* wbio = nullptr;  // owned by ssl
  Bytes helloBytes;     // the first record, gathered until complete
  bool helloRecorded = false;
  bool handshakeDone = false;
  std::string request;  // decrypted bytes not yet answered
  bool closeAfterFlush = false;
};

ns3::TypeId TlsServerApp::GetTypeId() {
  static ns3::TypeId tid =
      ns3::TypeId("mitmlab::TlsServerApp")
          .SetParent<ns3::Application>()
          .SetGroupName("Mitmlab")
          .AddConstructor<TlsServerApp>()
          .AddAttribute("Port", "TCP port to listen on.", ns3::UintegerValue(443),
                        ns3::MakeUintegerAccessor(&TlsServerApp::m_port),
                        ns3::MakeUintegerChecker<std::uint16_t>())
          .AddAttribute("DefaultBodySize", "Response body size for paths other than /bytes/N.",
                        ns3::UintegerValue(1024),
                        ns3::MakeUintegerAccessor(&TlsServerApp::m_defaultBodySize),
                        ns3::MakeUintegerChecker<std::uint32_t>())
          .AddAttribute("MaxBodySize", "Largest body /bytes/N may ask for.",
                        ns3::UintegerValue(64 * 1024 * 1024),
                        ns3::MakeUintegerAccessor(&TlsServerApp::m_maxBodySize),
                        ns3::MakeUintegerChecker<std::uint32_t>())
          .AddAttribute("MaxTlsVersion", "12 or 13 to cap the protocol version; 0 for OpenSSL's default.",
                        ns3::UintegerValue(0),
                        ns3::MakeUintegerAccessor(&TlsServerApp::m_maxTlsVersion),
                        ns3::MakeUintegerChecker<std::uint32_t>(0, 13))
          .AddTraceSource("ClientHello", "The raw TLS records carrying a client's ClientHello.",
                          ns3::MakeTraceSourceAccessor(&TlsServerApp::m_clientHelloTrace),
                          "mitmlab::TlsServerApp::ClientHelloCallback")
          .AddTraceSource("ClientHelloAt",
                          "The same, with the local address the client reached (a site serves many).",
                          ns3::MakeTraceSourceAccessor(&TlsServerApp::m_clientHelloAtTrace),
                          "mitmlab::TlsServerApp::ClientHelloAtCallback")
          .AddTraceSource("Handshake", "A handshake completed; the SNI the client sent.",
                          ns3::MakeTraceSourceAccessor(&TlsServerApp::m_handshakeTrace),
                          "mitmlab::TlsServerApp::HandshakeCallback");
  return tid;
}

TlsServerApp::TlsServerApp() = default;
TlsServerApp::~TlsServerApp() = default;

void TlsServerApp::SetDefaultCredentials(TlsCredentialsPtr credentials) {
  m_defaultCredentials = std::move(credentials);
}

void TlsServerApp::AddCredentials(const std::string& hostName, TlsCredentialsPtr credentials) {
  m_credentials[Lower(hostName)] = std::move(credentials);
}

void TlsServerApp::SetCredentialsResolver(CredentialsResolver resolver) { m_resolver = std::move(resolver); }

TlsCredentialsPtr TlsServerApp::ChooseCredentials(ns3::Ipv4Address local, std::string_view sni) const {
  if (m_resolver) {
    if (TlsCredentialsPtr chosen = m_resolver(local, sni)) return chosen;
  }
  if (!sni.empty()) {
    auto it = m_credentials.find(Lower(std::string(sni)));
    if (it != m_credentials.end()) return it->second;
  }
  return m_defaultCredentials;
}

bool TlsServerApp::CreateContext() {
  m_ctx.reset(SSL_CTX_new(TLS_server_method()));
  if (!m_ctx) return false;
  attach_key_log(m_ctx.get());
  // No session tickets: they add randomness and state that no experiment here needs.
  SSL_CTX_set_options(m_ctx.get(), SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(m_ctx.get(), 0);
  SSL_CTX_set_session_cache_mode(m_ctx.get(), SSL_SESS_CACHE_OFF);
  if (int v = VersionConstant(m_maxTlsVersion)) SSL_CTX_set_max_proto_version(m_ctx.get(), v);
  SSL_CTX_set_tlsext_servername_callback(m_ctx.get(), &TlsServerApp::ServerNameCallback);
  SSL_CTX_set_tlsext_servername_arg(m_ctx.get(), this);
  return true;
}

void TlsServerApp::StartApplication() {
  NS_ABORT_MSG_IF(!m_defaultCredentials && !m_resolver, "TlsServerApp needs default credentials or a resolver");
  NS_ABORT_MSG_IF(!CreateContext(), "SSL_CTX_new failed: " << drain_openssl_errors());
  m_listener = ns3::Socket::CreateSocket(GetNode(), ns3::TcpSocketFactory::GetTypeId());
  NS_ABORT_MSG_IF(m_listener->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), m_port)) != 0,
                  "TlsServerApp cannot bind port " << m_port);
  m_listener->Listen();
  m_listener->SetAcceptCallback(ns3::MakeNullCallback<bool, ns3::Ptr<ns3::Socket>, const ns3::Address&>(),
                                ns3::MakeCallback(&TlsServerApp::HandleAccept, this));
}

void TlsServerApp::StopApplication() {
  if (m_listener) {
    m_listener->Close();
    m_listener->SetAcceptCallback(ns3::MakeNullCallback<bool, ns3::Ptr<ns3::Socket>, const ns3::Address&>(),
                                  ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>, const ns3::Address&>());
    m_listener = nullptr;
  }
  while (!m_sessions.empty()) {
    ns3::Ptr<ns3::Socket> socket = m_sessions.begin()->first;
    socket->Close();
    Forget(socket);
  }
}

void TlsServerApp::DoDispose() {
  m_listener = nullptr;
  m_sessions.clear();
  m_ctx.reset();
  ns3::Application::DoDispose();
}

bool TlsServerApp::UseCredentials(SSL* ssl, const TlsCredentials& credentials) {
  X509StackPtr chain(sk_X509_new_null());
  for (const auto& cert : credentials.intermediates) {
    X509_up_ref(cert.get());
    sk_X509_push(chain.get(), cert.get());
  }
  // Takes its own references to the leaf, the key and the chain.
  return SSL_use_cert_and_key(ssl, credentials.leaf.get(), credentials.key.get(), chain.get(), 1) == 1;
}

int TlsServerApp::ServerNameCallback(SSL* ssl, int*, void* arg) {
  auto* self = static_cast<TlsServerApp*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_OK;  // keep the chain chosen at accept
  const auto* session = static_cast<const Session*>(SSL_get_app_data(ssl));
  TlsCredentialsPtr chosen = self->ChooseCredentials(session->local, name);
  // Nothing more specific than the accept-time choice: keep it.
  if (!chosen || chosen == self->m_defaultCredentials) return SSL_TLSEXT_ERR_OK;
  return self->UseCredentials(ssl, *chosen) ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_ALERT_FATAL;
}

void TlsServerApp::HandleAccept(ns3::Ptr<ns3::Socket> socket, const ns3::Address& from) {
  ++m_counters.accepted;
  auto session = std::make_unique<Session>();
  session->socket = socket;
  session->peer = from;
  ns3::Address local;
  if (socket->GetSockName(local) == 0 && ns3::InetSocketAddress::IsMatchingType(local)) {
    session->local = ns3::InetSocketAddress::ConvertFrom(local).GetIpv4();
  }
  session->ssl.reset(SSL_new(m_ctx.get()));
  BioPtr rbio(BIO_new(BIO_s_mem())), wbio(BIO_new(BIO_s_mem()));
  NS_ABORT_MSG_IF(!session->ssl || !rbio || !wbio, "SSL_new/BIO_new failed: " << drain_openssl_errors());
  session->rbio = rbio.release();  // session->ssl owns both from here
  session->wbio = wbio.release();
  SSL_set_bio(session->ssl.get(), session->rbio, session->wbio);
  SSL_set_accept_state(session->ssl.get());
  SSL_set_app_data(session->ssl.get(), session.get());
  if (TlsCredentialsPtr chosen = ChooseCredentials(session->local, "")) UseCredentials(session->ssl.get(), *chosen);
  socket->SetRecvCallback(ns3::MakeCallback(&TlsServerApp::HandleRead, this));
  socket->SetSendCallback(ns3::MakeCallback(&TlsServerApp::HandleSend, this));
  socket->SetCloseCallbacks(ns3::MakeCallback(&TlsServerApp::HandlePeerClose, this),
                            ns3::MakeCallback(&TlsServerApp::HandleError, this));
  m_sessions[socket] = std::move(session);
}

void TlsServerApp::RecordClientHello(Session& session, ByteView bytes) {
  session.helloBytes.insert(session.helloBytes.end(), bytes.begin(), bytes.end());
  const Bytes& h = session.helloBytes;
  // Walk whole records; the ClientHello message may span several (RFC 8446 5.1 allows
  // any fragmentation), so the trace gets every record up to the end of the message.
  std::size_t offset = 0;
  std::size_t payload = 0;      // handshake bytes seen so far
  std::size_t messageSize = 0;  // from the handshake header's 24-bit length
  bool finished = false;        // traced, or given up on
  while (!finished && offset + 5 <= h.size()) {
    if (h[offset] != 0x16) {  // not a handshake record: nothing to fingerprint
      ++m_counters.notTls;
      finished = true;
      break;
    }
    const std::size_t length = std::size_t{h[offset + 3]} << 8 | h[offset + 4];
    if (offset + 5 + length > h.size()) break;  // wait for the rest of the record
    for (std::size_t i = 0; i < length; ++i, ++payload) {
      if (payload >= 1 && payload <= 3) messageSize = messageSize << 8 | h[offset + 5 + i];
    }
    offset += 5 + length;
    if (payload >= 4 && payload >= 4 + messageSize) {
      Bytes record(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(offset));
      m_clientHelloTrace(session.peer, record);
      m_clientHelloAtTrace(session.local, session.peer, record);
      finished = true;
    } else if (offset > kMaxClientHello) {  // Envoy's cap: no sane ClientHello is larger
      ++m_counters.notTls;
      finished = true;
    }
  }
  if (finished) {
    session.helloRecorded = true;
    session.helloBytes.clear();
    session.helloBytes.shrink_to_fit();
  }
}

void TlsServerApp::HandleRead(ns3::Ptr<ns3::Socket> socket) {
  auto it = m_sessions.find(socket);
  if (it == m_sessions.end()) return;
  Session& session = *it->second;
  Bytes incoming;
  FeedSocketToBio(socket, session.rbio, session.helloRecorded ? nullptr : &incoming);
  if (!session.helloRecorded) RecordClientHello(session, incoming);
  Advance(session);
}

void TlsServerApp::HandleSend(ns3::Ptr<ns3::Socket> socket, std::uint32_t) {
  auto it = m_sessions.find(socket);
  if (it != m_sessions.end()) Flush(*it->second);
}

void TlsServerApp::HandlePeerClose(ns3::Ptr<ns3::Socket> socket) {
  auto it = m_sessions.find(socket);
  if (it == m_sessions.end()) return;
  // The client will send nothing more: answer what arrived, then close once flushed.
  it->second->closeAfterFlush = true;
  Flush(*it->second);
}

void TlsServerApp::HandleError(ns3::Ptr<ns3::Socket> socket) {
  if (m_sessions.count(socket) == 0) return;
  ++m_counters.resets;
  Forget(socket);
}

void TlsServerApp::Forget(ns3::Ptr<ns3::Socket> socket) {
  socket->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  socket->SetSendCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>, std::uint32_t>());
  socket->SetCloseCallbacks(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>(),
                            ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  m_sessions.erase(socket);
}

void TlsServerApp::Advance(Session& session) {
  if (!session.handshakeDone) {
    const int r = SSL_do_handshake(session.ssl.get());
    if (r == 1) {
      session.handshakeDone = true;
      ++m_counters.handshakes;
      const char* sni = SSL_get_servername(session.ssl.get(), TLSEXT_NAMETYPE_host_name);
      m_handshakeTrace(session.peer, sni ? std::string(sni) : std::string());
    } else if (SSL_get_error(session.ssl.get(), r) != SSL_ERROR_WANT_READ) {
      // OpenSSL has queued an alert in the write BIO; send it and close.
      ++m_counters.handshakeFailures;
      NS_LOG_INFO("handshake failed: " << drain_openssl_errors());
      ERR_clear_error();
      session.closeAfterFlush = true;
    }
  }
  if (session.handshakeDone && !session.closeAfterFlush) ServeRequests(session);
  Flush(session);
}

void TlsServerApp::ServeRequests(Session& session) {
  char buf[4096];
  for (;;) {
    const int n = SSL_read(session.ssl.get(), buf, sizeof buf);
    if (n > 0) {
      session.request.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    const int err = SSL_get_error(session.ssl.get(), n);
    if (err == SSL_ERROR_ZERO_RETURN) {  // close_notify from the client
      SSL_shutdown(session.ssl.get());
      session.closeAfterFlush = true;
    } else if (err != SSL_ERROR_WANT_READ) {
      ERR_clear_error();
      session.closeAfterFlush = true;
    }
    break;
  }
  // Answer every complete request head (pipelining works for free).
  for (;;) {
    const std::size_t end = session.request.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (session.request.size() > kMaxRequestHead) {
        ++m_counters.badRequests;
        session.closeAfterFlush = true;
      }
      return;
    }
    const std::string head = session.request.substr(0, end);
    session.request.erase(0, end + 4);
    const std::size_t lineEnd = head.find("\r\n");
    const std::string line = head.substr(0, lineEnd);
    const std::string lowerHead = Lower(head);
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string::npos ? sp1 : line.find(' ', sp1 + 1);
    std::string status = "200 OK";
    std::uint64_t size = 0;
    bool close = lowerHead.find("\r\nconnection: close") != std::string::npos;
    if (sp2 == std::string::npos || line.compare(0, sp1, "GET") != 0) {
      ++m_counters.badRequests;
      status = "400 Bad Request";
      close = true;
    } else {
      ++m_counters.requests;
      const std::string path = line.substr(sp1 + 1, sp2 - sp1 - 1);
      size = m_defaultBodySize;
      constexpr std::string_view kBytes = "/bytes/";
      if (path.compare(0, kBytes.size(), kBytes) == 0) {
        std::uint64_t n = 0;
        auto [p, ec] = std::from_chars(path.data() + kBytes.size(), path.data() + path.size(), n);
        if (ec == std::errc() && p == path.data() + path.size()) size = std::min<std::uint64_t>(n, m_maxBodySize);
      }
    }
    const std::string header = "HTTP/1.1 " + status + "\r\nContent-Type: application/octet-stream\r\n" +
                               "Content-Length: " + std::to_string(size) + "\r\nConnection: " +
                               (close ? "close" : "keep-alive") + "\r\n\r\n";
    SSL_write(session.ssl.get(), header.data(), static_cast<int>(header.size()));
    // The write BIO is a growing memory buffer, so SSL_write takes the whole body at
    // once; Flush hands it to TCP as send-buffer space frees up.
    Bytes body = HttpBody(size);
    if (!body.empty()) SSL_write(session.ssl.get(), body.data(), static_cast<int>(body.size()));
    if (close) {
      SSL_shutdown(session.ssl.get());
      session.closeAfterFlush = true;
      return;
    }
  }
}

bool TlsServerApp::Flush(Session& session) {
  const std::size_t left = PumpBioToSocket(session.wbio, session.socket, nullptr);
  if (left > 0) ++m_counters.sendStalls;
  if (left == 0 && session.closeAfterFlush) {
    ns3::Ptr<ns3::Socket> socket = session.socket;
    socket->Close();  // TCP still delivers what it holds, then sends FIN
    Forget(socket);   // `session` is gone after this
    return false;
  }
  return true;
}

}  // namespace mitmlab
