#include "tests/support/tls-world.h"

#include <ns3/inet-socket-address.h>
#include <ns3/string.h>
#include <ns3/uinteger.h>

#include "sim/tls-app-helpers.h"

namespace mitmlab::test {

std::unique_ptr<TlsWorld> BuildTlsWorld(std::shared_ptr<PacketProcessor> processor,
                                        const TlsWorldOptions& options) {
  auto world = std::make_unique<TlsWorld>();
  world->topo = BuildChainTopology(std::move(processor));
  world->ca = make_test_ca("mitmlab Test Root");
  world->defaultChain = make_test_leaf(world->ca, {"default.test"}, 100);
  world->targetChain = make_test_leaf(world->ca, {"target.test", "www.target.test"}, 101);
  world->trust = make_trust_store(world->ca);

  TlsServerHelper serverHelper(443, world->defaultChain);
  serverHelper.SetAttribute("MaxTlsVersion", ns3::UintegerValue(options.serverMaxTlsVersion));
  serverHelper.AddCredentials("target.test", world->targetChain);
  ns3::ApplicationContainer servers = serverHelper.Install(world->topo.Node(ChainTopology::kServer));
  servers.Start(ns3::Seconds(0));
  world->server = ns3::DynamicCast<TlsServerApp>(servers.Get(0));
  TlsWorld* raw = world.get();
  world->server->TraceConnectWithoutContext(
      "ClientHello", ns3::MakeCallback(+[](TlsWorld* w, const ns3::Address&, const Bytes& hello) {
                       w->clientHellos.push_back(hello);
                     }).Bind(raw));

  TlsClientHelper clientHelper(ns3::InetSocketAddress(world->topo.ServerAddress(), 443),
                               options.serverName, world->trust.get());
  clientHelper.SetAttribute("Path", ns3::StringValue(options.path));
  clientHelper.SetAttribute("Requests", ns3::UintegerValue(options.requests));
  clientHelper.SetAttribute("MaxTlsVersion", ns3::UintegerValue(options.maxTlsVersion));
  clientHelper.SetAttribute("ClientHelloTtl", ns3::UintegerValue(options.clientHelloTtl));
  ns3::ApplicationContainer clients = clientHelper.Install(world->topo.Node(ChainTopology::kClient));
  clients.Start(options.clientStart);
  world->client = ns3::DynamicCast<TlsClientApp>(clients.Get(0));
  return world;
}

}  // namespace mitmlab::test
