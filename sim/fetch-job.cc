#include "sim/fetch-job.h"

#include <ns3/inet-socket-address.h>
#include <ns3/simulator.h>

#include "sim/sim-core-timer.h"
#include <ns3/string.h>
#include <ns3/uinteger.h>
#include <ns3/integer.h>
#include <ns3/address.h>

#include "sim/tls-server-app.h"

namespace mitmlab {
FetchJob::FetchJob(Spec spec, ns3::Ptr<ns3::Node> vantage, X509_STORE* trust, std::function<void()> on_done)
    : m_spec(std::move(spec)), m_node(vantage), m_trust(trust), m_onDone(std::move(on_done)) {}

void FetchJob::Start() {
  m_started = SimNow();
  m_app = ns3::CreateObject<TlsClientApp>();
  ns3::Ipv4Address remote(m_spec.server_address.value);
  m_app->SetAttribute("Remote", ns3::AddressValue(ns3::InetSocketAddress(remote, m_spec.port)));
  m_app->SetAttribute("ServerName", ns3::StringValue(m_spec.sni));
  m_app->SetAttribute("Path", ns3::StringValue(m_spec.path));
  m_app->SetAttribute("VerifyTime", ns3::IntegerValue(m_spec.verify_time));
  m_app->SetTrustStore(m_trust);
  m_node->AddApplication(m_app);
  m_app->SetStartTime(ns3::Seconds(0));
  ns3::Simulator::ScheduleNow(&FetchJob::Poll, this);
}

bool FetchJob::Finished() const {
  const TlsClientResult& r = m_app->GetResult();
  return r.responseComplete || r.handshakeFailed || r.connectFailed || r.reset || r.closedByPeer;
}

// The client app has no completion callback for the response; a 10 ms poll in simulated
// time costs nothing and keeps the app unchanged.
void FetchJob::Poll() {
  if (m_done) return;
  if (Finished() || SimNow() - m_started >= m_spec.timeout) {
    m_done = true;
    m_finished = SimNow();
    if (m_onDone) m_onDone();
    return;
  }
  ns3::Simulator::Schedule(ns3::MilliSeconds(10), &FetchJob::Poll, this);
}

FetchJobResult FetchJob::Outcome() const {
  FetchJobResult f;
  f.name = m_spec.name;
  f.vantage = m_spec.vantage;
  f.server = m_spec.server;
  f.sni = m_spec.sni;
  f.path = m_spec.path;
  f.server_address = m_spec.server_address;
  f.timing = {m_started, m_done ? m_finished : SimNow(), m_done && Finished()};
  if (!m_app) return f;
  const TlsClientResult& r = m_app->GetResult();
  f.handshake_done = r.handshakeDone;
  f.verified = r.verifyResult == 0;
  f.status_line = r.responseHead.substr(0, r.responseHead.find("\r\n"));
  f.body_bytes = r.responseBody.size();
  f.body_intact = r.responseComplete && r.responseBody == HttpBody(r.responseBody.size());
  f.chain = r.peerChain;
  f.error = r.error;
  if (!m_done) f.error = f.error.empty() ? "the run ended before the fetch finished" : f.error;
  return f;
}

}  // namespace mitmlab
