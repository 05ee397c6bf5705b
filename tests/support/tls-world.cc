#include "tests/support/tls-world.h"

#include <ns3/inet-socket-address.h>
#include <ns3/string.h>
#include <ns3/uinteger.h>

namespace mitmlab::test {

std::unique_ptr<TlsWorld> BuildTlsWorld(std::shared_ptr<PacketProcessor> processor,
                                        const TlsWorldOptions& options) {
  auto world = std::make_unique<TlsWorld>();
  world->topo = BuildChainTopology(std::move(processor));
  world->ca = make_test_ca("mitmlab Test Root");
  world->defaultChain = make_test_leaf(world->ca, {"default.test"}, 100);
  world->targetChain = make_test_leaf(world->ca, {"target.test", "www.target.test"}, 101);
  world->trust = make_trust_store(world->ca);

  world->server = ns3::CreateObject<TlsServerApp>();
  world->server->SetAttribute("Port", ns3::UintegerValue(443));
  world->server->SetDefaultCredentials(world->defaultChain);
  world->server->AddCredentials("target.test", world->targetChain);
  TlsWorld* raw = world.get();
  world->server->TraceConnectWithoutContext(
      "ClientHello", ns3::MakeCallback(+[](TlsWorld* w, const ns3::Address&, const Bytes& hello) {
                       w->clientHellos.push_back(hello);
                     }).Bind(raw));
  world->topo.Node(ChainTopology::kServer)->AddApplication(world->server);
  world->server->SetStartTime(ns3::Seconds(0));

  world->client = ns3::CreateObject<TlsClientApp>();
  world->client->SetAttribute(
      "Remote", ns3::AddressValue(ns3::InetSocketAddress(world->topo.ServerAddress(), 443)));
  world->client->SetAttribute("ServerName", ns3::StringValue(options.serverName));
  world->client->SetAttribute("Path", ns3::StringValue(options.path));
  world->client->SetAttribute("Requests", ns3::UintegerValue(options.requests));
  world->client->SetAttribute("MaxTlsVersion", ns3::UintegerValue(options.maxTlsVersion));
  world->client->SetAttribute("ClientHelloTtl", ns3::UintegerValue(options.clientHelloTtl));
  world->client->SetTrustStore(world->trust.get());
  world->topo.Node(ChainTopology::kClient)->AddApplication(world->client);
  world->client->SetStartTime(options.clientStart);
  return world;
}

}  // namespace mitmlab::test
