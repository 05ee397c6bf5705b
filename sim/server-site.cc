#include "sim/server-site.h"

#include <map>
#include <memory>
#include <unordered_map>

#include <ns3/nstime.h>
#include <ns3/uinteger.h>

namespace mitmlab {

bool serves_tls(CertKind kind) { return kind != CertKind::no_tls && kind != CertKind::down; }

std::vector<ServerSite> plan_sites(const Scenario& scenario) {
  std::vector<ServerSite> sites;
  std::map<std::pair<std::string, std::string>, std::size_t> index;  // (router, group) -> site
  for (std::size_t i = 0; i < scenario.servers.size(); ++i) {
    const ScenarioServer& server = scenario.servers[i];
    auto [it, fresh] = index.try_emplace({server.attach, server.group}, sites.size());
    if (fresh) {
      ServerSite site;
      site.router = server.attach;
      site.group = server.group;
      site.name = server.group.empty() ? "site-" + server.attach : "site-" + server.attach + "-" + server.group;
      // Every server of a site has the same uplink (the parser checks listed servers at one
      // router agree; a group's servers copy the group's).
      site.uplink = server.uplink;
      sites.push_back(std::move(site));
    }
    sites[it->second].servers.push_back(i);
  }
  return sites;
}

void InstallSiteServers(ServerSite& site, const Scenario& scenario, const ServerCredentialsResolver& credentials) {
  // Per port: the site's TLS servers on it, by address.
  using ByAddress = std::unordered_map<std::uint32_t, const ScenarioServer*>;
  std::map<std::uint16_t, std::shared_ptr<ByAddress>> ports;
  for (std::size_t i : site.servers) {
    const ScenarioServer& server = scenario.servers[i];
    if (!serves_tls(server.kind)) continue;
    auto& byAddress = ports[server.port];
    if (!byAddress) byAddress = std::make_shared<ByAddress>();
    byAddress->emplace(server.address.value, &server);
  }
  for (const auto& [port, byAddress] : ports) {
    auto app = ns3::CreateObject<TlsServerApp>();
    app->SetAttribute("Port", ns3::UintegerValue(port));
    // An address of the site not serving on this port has no chain: its handshake fails.
    app->SetCredentialsResolver([byAddress, credentials](ns3::Ipv4Address local, std::string_view sni) {
      auto it = byAddress->find(local.Get());
      return it == byAddress->end() ? TlsCredentialsPtr() : credentials(*it->second, sni);
    });
    site.node->AddApplication(app);
    app->SetStartTime(ns3::Seconds(0));
    site.apps.push_back(app);
  }
}

}  // namespace mitmlab
