// A TLS server and client placed on the chain topology (client node to server node),
// with a throwaway CA, a default chain ("default.test") and one for "target.test".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <ns3/nstime.h>

#include "sim/tls-client-app.h"
#include "sim/tls-server-app.h"
#include "tests/support/chain-topology.h"
#include "tests/support/test-pki.h"

namespace mitmlab::test {

struct TlsWorldOptions {
  std::string serverName = "target.test";
  std::string path = "/bytes/1000";
  std::uint32_t requests = 1;       // GETs on the one connection
  std::uint32_t maxTlsVersion = 0;  // client side: 12, 13 or 0
  std::uint32_t serverMaxTlsVersion = 0;
  std::uint32_t clientHelloTtl = 0;
  ns3::Time clientStart = ns3::Seconds(1);
};

struct TlsWorld {
  ChainTopology topo;
  TestCa ca;
  TlsCredentialsPtr defaultChain;
  TlsCredentialsPtr targetChain;
  X509StorePtr trust;
  ns3::Ptr<TlsServerApp> server;
  ns3::Ptr<TlsClientApp> client;
  std::vector<Bytes> clientHellos;  // as traced by the server
};

// Builds the world; the caller runs the simulator. The returned object must outlive
// Simulator::Run (the ClientHello trace writes into it).
std::unique_ptr<TlsWorld> BuildTlsWorld(std::shared_ptr<PacketProcessor> processor,
                                        const TlsWorldOptions& options);

}  // namespace mitmlab::test
