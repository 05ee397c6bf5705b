#include "sim/fingerprint-job.h"

#include <variant>

#include <fmt/core.h>
#include <ns3/inet-socket-address.h>
#include <ns3/simulator.h>

#include "sim/sim-core-timer.h"

#include "net/client-hello-reassembler.h"
#include "net/tls-fingerprint.h"

namespace mitmlab {
std::optional<ObservedClientHello> observe_client_hello(ByteView record) {
  ClientHelloReassembler reassembler;
  auto outcome = reassembler.feed(record);
  const auto* complete = std::get_if<ClientHelloReassembler::Complete>(&outcome);
  if (!complete) return std::nullopt;
  const ClientHello& hello = complete->hello;
  ObservedClientHello o;
  o.sni = hello.sni().value_or("");
  o.ja3 = ja3_hash(hello);
  o.ja3_string = ja3_string(hello);
  o.ja4 = ja4(hello);
  o.tls_version = fmt::format("{:#06x}", hello.legacy_version);
  return o;
}

FingerprintJob::FingerprintJob(Spec spec, std::function<void()> on_done)
    : m_spec(std::move(spec)), m_onDone(std::move(on_done)) {}

void FingerprintJob::Start() {
  m_open = true;
  m_started = SimNow();
  ns3::Simulator::Schedule(ToSimTime(m_spec.duration), &FingerprintJob::Close, this);
}

void FingerprintJob::Close() {
  m_open = false;
  m_done = true;
  m_finished = SimNow();
  if (m_onDone) m_onDone();
}

void FingerprintJob::OnClientHello(Ipv4Address local, const ns3::Address& peer, const Bytes& record) {
  if (!m_open || local != m_spec.server_address) return;
  auto observed = observe_client_hello(record);
  if (!observed) return;
  observed->time = SimNow();
  if (ns3::InetSocketAddress::IsMatchingType(peer)) {
    ns3::InetSocketAddress inet = ns3::InetSocketAddress::ConvertFrom(peer);
    observed->client = fmt::format("{}:{}", Ipv4Address(inet.GetIpv4().Get()).to_string(), inet.GetPort());
  }
  m_hellos.push_back(std::move(*observed));
}

FingerprintJobResult FingerprintJob::Outcome() const {
  FingerprintJobResult r;
  r.name = m_spec.name;
  r.server = m_spec.server;
  r.server_address = m_spec.server_address;
  r.hellos = m_hellos;
  r.timing = {m_started, m_done ? m_finished : SimNow(), m_done};
  return r;
}

}  // namespace mitmlab
