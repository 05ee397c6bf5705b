// Server sites: the servers attached to one router, one site per (router, group) and one
// for the servers listed one by one at that router. A site is one node whose single uplink
// leads to the router; all its servers' addresses are local to it (sim/table-routing.h:
// a hash set, not interface addresses, which ns-3 3.37 scans quadratically), and one
// TlsServerApp per port in use serves them all, choosing each connection's chain by the
// address it reached and its SNI.
//
// What each certificate kind means on the wire:
// - trusted, vhost, self_signed, expired, unknown_root: a TLS server whose chain comes
//   from WorldOptions::credentials (the scenario PKI);
// - down: routed to the site but not local there, so the site drops it: no answer at all;
// - no_tls: local to a second, listener-less node of the site ("<site>-closed"), whose TCP
//   answers a SYN with a RST. (A wildcard listener on the TLS node would accept them.)
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <ns3/node.h>

#include "sim/scenario.h"
#include "sim/tls-credentials.h"
#include "sim/tls-server-app.h"

namespace mitmlab {

// The chain a TLS server presents to a client that sent `sni` ("" when it sent none).
// Null: the handshake fails.
// (The runner wires sim/server-pki.h in: credentials_for(server)->for_sni(sni).)
using ServerCredentialsResolver =
    std::function<TlsCredentialsPtr(const ScenarioServer& server, std::string_view sni)>;

// True for the kinds that run a TLS server.
bool serves_tls(CertKind kind);

struct ServerSite {
  std::string name;    // "site-<router>-<group>", or "site-<router>" for listed servers
  std::string router;  // the router it hangs off
  std::string group;   // "" for servers listed one by one
  LinkProperties uplink;
  std::vector<std::size_t> servers;   // indexes into Scenario::servers, in scenario order
  ns3::Ptr<ns3::Node> node;           // TLS servers; down addresses are routed here and dropped
  ns3::Ptr<ns3::Node> closedNode;     // no_tls servers (null when there are none)
  std::vector<ns3::Ptr<TlsServerApp>> apps;  // one per port in use, by port

  bool HasClosed() const { return closedNode != nullptr; }
};

// Groups the scenario's servers into sites (no nodes yet), in order of first appearance.
// A group's uplink is the group's; listed servers' sites use default link properties.
std::vector<ServerSite> plan_sites(const Scenario& scenario);

// Installs the TLS applications of a built site (its node exists), started at time 0.
// `scenario` must outlive the applications.
void InstallSiteServers(ServerSite& site, const Scenario& scenario, const ServerCredentialsResolver& credentials);

}  // namespace mitmlab
