// A fetch job: a client on a vantage node opens https://SNI/PATH to a server (TlsClientApp),
// verifying against the scenario's client roots plus the bumps' fake roots (a user who
// installed the government root, as Kazakh users were asked to), and records what it got.
#pragma once

#include <functional>
#include <string>

#include <ns3/node.h>
#include <ns3/ptr.h>

#include "sim/run-results.h"
#include "sim/tls-client-app.h"

namespace mitmlab {

class FetchJob {
 public:
  struct Spec {
    std::string name, vantage, server, sni, path;
    Ipv4Address server_address;
    std::uint16_t port = 443;
    std::int64_t verify_time = 0;  // Unix seconds
    Duration timeout = std::chrono::seconds(60);
  };
  FetchJob(Spec spec, ns3::Ptr<ns3::Node> vantage, X509_STORE* trust, std::function<void()> on_done);

  // Installs and starts the client now.
  void Start();
  bool Done() const { return m_done; }
  // Filled when done (or at the end of the run).
  FetchJobResult Outcome() const;

 private:
  void Poll();
  bool Finished() const;

  Spec m_spec;
  ns3::Ptr<ns3::Node> m_node;
  X509_STORE* m_trust;
  std::function<void()> m_onDone;
  ns3::Ptr<TlsClientApp> m_app;
  Timestamp m_started{}, m_finished{};
  bool m_done = false;
};

}  // namespace mitmlab
