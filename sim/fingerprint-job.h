// A fingerprint job: the server records the JA3/JA4 of every ClientHello it receives during
// [at, at + duration): the scanner's probes, ordinary clients, and the box's own hello when
// it checks the origin (facts §5) all show up under their own fingerprints.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <ns3/address.h>
#include <ns3/ipv4-address.h>
#include <ns3/ptr.h>

#include "net/bytes.h"
#include "sim/run-results.h"

namespace mitmlab {

// Parses one ClientHello record as the server saw it (also used by tests): sni, JA3 (hash and
// string), JA4 and legacy version. nullopt for bytes that are not a complete ClientHello.
std::optional<ObservedClientHello> observe_client_hello(ByteView record);

class FingerprintJob {
 public:
  struct Spec {
    std::string name, server;
    Ipv4Address server_address;
    Duration duration = std::chrono::seconds(60);
  };
  FingerprintJob(Spec spec, std::function<void()> on_done);

  void Start();  // the window opens now
  bool Done() const { return m_done; }
  // Feed every ClientHello the server's application saw; those outside the window or for
  // another address (a site hosts many servers) are ignored.
  void OnClientHello(Ipv4Address local, const ns3::Address& peer, const Bytes& record);
  // The same, shaped for TlsServerApp's "ClientHelloAt" trace source.
  void OnHelloAt(ns3::Ipv4Address local, const ns3::Address& peer, const Bytes& record) {
    OnClientHello(Ipv4Address(local.Get()), peer, record);
  }
  FingerprintJobResult Outcome() const;

 private:
  void Close();

  Spec m_spec;
  std::function<void()> m_onDone;
  bool m_open = false, m_done = false;
  Timestamp m_started{}, m_finished{};
  std::vector<ObservedClientHello> m_hellos;
};

}  // namespace mitmlab
