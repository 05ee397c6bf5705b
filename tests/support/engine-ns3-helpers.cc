#include "tests/support/engine-ns3-helpers.h"

#include <variant>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <ns3/callback.h>
#include <ns3/inet-socket-address.h>
#include <ns3/simulator.h>
#include <ns3/tcp-socket-factory.h>

#include "net/client-hello-reassembler.h"
#include "net/tls-fingerprint.h"
#include "sim/tls-socket-pump.h"

namespace mitmlab::test {

StrictTlsClient::StrictTlsClient(ns3::Ptr<ns3::Node> node, const ns3::Address& remote, std::string sni,
                                 X509_STORE* trust, std::time_t verify_at)
    : node_(node), remote_(remote), sni_(std::move(sni)), verify_at_(verify_at) {
  X509_STORE_up_ref(trust);
  trust_.reset(trust);
}

void StrictTlsClient::Start(ns3::Time at) { ns3::Simulator::Schedule(at, &StrictTlsClient::Connect, this); }

void StrictTlsClient::Connect() {
  socket_ = ns3::Socket::CreateSocket(node_, ns3::TcpSocketFactory::GetTypeId());
  socket_->Bind();
  socket_->SetConnectCallback(ns3::MakeCallback(&StrictTlsClient::Connected, this),
                              ns3::MakeCallback(&StrictTlsClient::Failed, this));
  socket_->SetRecvCallback(ns3::MakeCallback(&StrictTlsClient::Read, this));
  socket_->SetCloseCallbacks(ns3::MakeCallback(&StrictTlsClient::Closed, this),
                             ns3::MakeCallback(&StrictTlsClient::Errored, this));
  socket_->Connect(remote_);
}

void StrictTlsClient::Connected(ns3::Ptr<ns3::Socket>) {
  connected = true;
  ctx_.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
  X509_STORE_up_ref(trust_.get());
  SSL_CTX_set_cert_store(ctx_.get(), trust_.get());
  X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(ctx_.get()), verify_at_);
  ssl_.reset(SSL_new(ctx_.get()));
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl_.get(), rbio_, wbio_);
  SSL_set_tlsext_host_name(ssl_.get(), sni_.c_str());
  SSL_set1_host(ssl_.get(), sni_.c_str());
  SSL_set_connect_state(ssl_.get());
  Step();
}

void StrictTlsClient::Failed(ns3::Ptr<ns3::Socket>) { reset = true; }

void StrictTlsClient::Read(ns3::Ptr<ns3::Socket> socket) {
  FeedSocketToBio(socket, rbio_, nullptr);
  Step();
}

void StrictTlsClient::Closed(ns3::Ptr<ns3::Socket>) {}
void StrictTlsClient::Errored(ns3::Ptr<ns3::Socket>) { reset = true; }

void StrictTlsClient::Step() {
  if (!ssl_ || handshake_done || handshake_failed) return;
  const int r = SSL_do_handshake(ssl_.get());
  if (r == 1) {
    handshake_done = true;
  } else {
    const int err = SSL_get_error(ssl_.get(), r);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) handshake_failed = true;
  }
  if (handshake_done || handshake_failed) {
    verify_result = SSL_get_verify_result(ssl_.get());
    if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_.get())) {
      for (int i = 0; i < sk_X509_num(chain); ++i) peer_chain.push_back(x509_to_der(sk_X509_value(chain, i)));
    }
  }
  PumpBioToSocket(wbio_, socket_, nullptr);  // the handshake, or the alert
}

Disposition DelayingProcessor::on_packet(Timestamp now, LinkSide from, ByteView ipv4) {
  if (delay_if_(from, ipv4)) {
    ++delayed;
    late_.push_back({now + delay_, from, Bytes(ipv4.begin(), ipv4.end())});
    return Disposition::kDrop;
  }
  return inner_->on_packet(now, from, ipv4);
}

std::optional<OutboundPacket> DelayingProcessor::poll_transmit() {
  if (!out_.empty()) {
    OutboundPacket p = std::move(out_.front());
    out_.pop_front();
    return p;
  }
  return inner_->poll_transmit();
}

std::optional<Timestamp> DelayingProcessor::next_timeout() const {
  std::optional<Timestamp> t = inner_->next_timeout();
  if (!late_.empty() && (!t || late_.front().due < *t)) t = late_.front().due;
  return t;
}

void DelayingProcessor::on_timeout(Timestamp now) {
  while (!late_.empty() && late_.front().due <= now) {
    Late l = std::move(late_.front());
    late_.pop_front();
    if (inner_->on_packet(now, l.from, l.ipv4) == Disposition::kForward) {
      out_.push_back({other_side(l.from), std::move(l.ipv4)});
    }
  }
  inner_->on_timeout(now);
}

void LogClientHellos(ns3::Ptr<TlsServerApp> server, std::vector<ServerHello>* log) {
  server->TraceConnectWithoutContext(
      "ClientHello", ns3::MakeCallback(+[](std::vector<ServerHello>* l, const ns3::Address& a, const Bytes& record) {
                       const ns3::InetSocketAddress from = ns3::InetSocketAddress::ConvertFrom(a);
                       l->push_back({from.GetIpv4().Get(), from.GetPort(), record});
                     }).Bind(log));
}

std::string Ja3Of(const Bytes& record) {
  ClientHelloReassembler r;
  ClientHelloReassembler::Outcome o = r.feed(record);
  const auto* complete = std::get_if<ClientHelloReassembler::Complete>(&o);
  return complete ? ja3_hash(complete->hello) : std::string();
}

}  // namespace mitmlab::test
