#include "sim/world-builder.h"

#include <algorithm>
#include <map>

#include <ns3/data-rate.h>
#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-interface-address.h>
#include <ns3/ipv4.h>
#include <ns3/names.h>
#include <ns3/node-container.h>
#include <ns3/nstime.h>
#include <ns3/point-to-point-helper.h>

#include "sim/bump-helper.h"
#include "sim/ns3-defaults.h"
#include "sim/static-routes.h"
#include "sim/table-routing.h"

namespace mitmlab {

World::World() = default;

World::~World() {
  if (m_ownsNames) ns3::Names::Clear();
}

// Builds a World step by step; every step may fail with a message naming the culprit.
class WorldAssembler {
 public:
  WorldAssembler(const Scenario& scenario, const WorldOptions& options)
      : m_world(std::make_unique<World>()), m_options(options) {
    m_world->m_scenario = scenario;
  }

  Result<std::unique_ptr<World>> Build() {
    if (Status s = PlanNodes(); !s) return s.error();
    ApplyNs3Defaults();
    CreateStackNodes();
    if (Status s = WireLinks(); !s) return s.error();
    if (Status s = InstallRoutes(); !s) return s.error();
    if (Status s = InstallServers(); !s) return s.error();
    return std::move(m_world);
  }

 private:
  const Scenario& S() const { return m_world->m_scenario; }

  Status AddName(const std::string& name, WorldNodeKind kind, Ipv4Address address) {
    if (name.empty()) return make_error("scenario {}: a node has an empty name", S().name);
    if (name.find_first_of("/ \t") != std::string::npos) {
      return make_error("scenario {}: node name \"{}\" has a '/' or a space: expected neither (ns-3 Names paths)", S().name, name);
    }
    if (!m_world->m_byName.emplace(name, m_world->m_nodes.size()).second) {
      return make_error("scenario {}: the name \"{}\" is used twice (routers, vantages, sites and bumps share one namespace)",
                        S().name, name);
    }
    m_world->m_nodes.push_back(WorldNode{name, kind, nullptr, address});
    return Ok{};
  }

  std::optional<std::size_t> Index(std::string_view name) const {
    auto it = m_world->m_byName.find(std::string(name));
    return it == m_world->m_byName.end() ? std::nullopt : std::optional<std::size_t>(it->second);
  }

  Result<std::size_t> Router(std::string_view name, std::string_view what) const {
    std::optional<std::size_t> i = Index(name);
    if (!i || m_world->m_nodes[*i].kind != WorldNodeKind::kRouter) {
      return make_error("scenario {}: {} names router \"{}\": no such router", S().name, what, name);
    }
    return *i;
  }

  // Names every stack node (routers, vantages, sites) in that order, checks references.
  Status PlanNodes() {
    for (const ScenarioRouter& r : S().routers) {
      if (Status s = AddName(r.name, WorldNodeKind::kRouter, r.address); !s) return s;
    }
    for (const ScenarioVantage& v : S().vantages) {
      if (Status s = AddName(v.name, WorldNodeKind::kVantage, v.address); !s) return s;
      if (Result<std::size_t> r = Router(v.attach, "vantage " + v.name); !r) return r.error();
    }
    m_world->m_sites = plan_sites(S());
    for (ServerSite& site : m_world->m_sites) {
      if (Result<std::size_t> r = Router(site.router, "server site " + site.name); !r) return r.error();
      Ipv4Address first;  // the first TLS address names the site's interface
      bool closed = false;
      for (std::size_t i : site.servers) {
        const ScenarioServer& server = S().servers[i];
        if (serves_tls(server.kind) && first == Ipv4Address()) first = server.address;
        closed = closed || server.kind == CertKind::no_tls;
      }
      if (Status s = AddName(site.name, WorldNodeKind::kSite, first); !s) return s;
      if (closed) {
        Ipv4Address firstClosed;
        for (std::size_t i : site.servers) {
          if (S().servers[i].kind == CertKind::no_tls && firstClosed == Ipv4Address()) firstClosed = S().servers[i].address;
        }
        if (Status s = AddName(site.name + "-closed", WorldNodeKind::kClosedSite, firstClosed); !s) return s;
      }
    }
    m_stackNodes = m_world->m_nodes.size();
    for (const ScenarioLink& l : S().links) {
      const std::string what = "link " + l.a + "-" + l.b;
      if (Result<std::size_t> r = Router(l.a, what); !r) return r.error();
      if (Result<std::size_t> r = Router(l.b, what); !r) return r.error();
      if (l.a == l.b) return make_error("scenario {}: {} joins a router to itself", S().name, what);
    }
    for (const ScenarioBump& b : S().bumps) {
      if (FindLink(b.a, b.b) == S().links.size()) {
        return make_error("scenario {}: bump {} is on {}-{}: no such link", S().name, b.name, b.a, b.b);
      }
    }
    return Ok{};
  }

  std::size_t FindLink(std::string_view a, std::string_view b) const {
    for (std::size_t i = 0; i < S().links.size(); ++i) {
      const ScenarioLink& l = S().links[i];
      if ((l.a == a && l.b == b) || (l.a == b && l.b == a)) return i;
    }
    return S().links.size();
  }

  void CreateStackNodes() {
    ns3::NodeContainer nodes;
    for (WorldNode& n : m_world->m_nodes) {
      n.node = ns3::CreateObject<ns3::Node>();
      nodes.Add(n.node);
    }
    ns3::InternetStackHelper stack;
    stack.SetIpv6StackInstall(false);
    stack.SetRoutingHelper(TableRoutingHelper());
    stack.Install(nodes);
    for (std::size_t i = 0; i < m_stackNodes; ++i) {
      const WorldNode& n = m_world->m_nodes[i];
      Ptr<TableRouting> routing = GetTableRouting(n.node);
      const bool router = n.kind == WorldNodeKind::kRouter;
      routing->SetForwarding(router);
      routing->SetPrimaryAddress(ns3::Ipv4Address(n.address.value));
    }
  }

  template <typename T>
  using Ptr = ns3::Ptr<T>;

  // Connects stack nodes a and b (node indexes): a plain point-to-point link, or one with a
  // bump node carrying `processor`. Returns the graph edge.
  Status Connect(std::size_t a, std::size_t b, const LinkProperties& p, std::shared_ptr<PacketProcessor> processor,
                 const std::string& bumpName, const std::string& linkName) {
    if (p.cost == 0) return make_error("scenario {}: link {} has cost 0: expected at least 1", S().name, linkName);
    ns3::NetDeviceContainer devices;
    const ns3::DataRateValue rate{ns3::DataRate(p.rate_bps)};
    if (processor) {
      BumpHelper helper;
      helper.SetDeviceAttribute("DataRate", rate);
      helper.SetChannelAttribute("Delay", ns3::TimeValue(ns3::NanoSeconds(p.delay.count() / 2)));
      BumpLink link = helper.Install(m_world->m_nodes[a].node, m_world->m_nodes[b].node, std::move(processor));
      devices = link.routerDevices;
      if (Status s = AddName(bumpName, WorldNodeKind::kBump, Ipv4Address()); !s) return s;
      m_world->m_nodes.back().node = link.node;
      m_lastBump = link.bump;
    } else {
      ns3::PointToPointHelper helper;
      helper.SetDeviceAttribute("DataRate", rate);
      helper.SetChannelAttribute("Delay", ns3::TimeValue(ns3::NanoSeconds(p.delay.count())));
      devices = helper.Install(m_world->m_nodes[a].node, m_world->m_nodes[b].node);
    }
    Edge edge{a, b, AddInterface(a, devices.Get(0)), AddInterface(b, devices.Get(1))};
    m_edges.push_back(edge);
    m_graph.edges.push_back(RouteGraph::Edge{a, b, p.cost});
    return Ok{};
  }

  std::uint32_t AddInterface(std::size_t node, Ptr<ns3::NetDevice> device) {
    const WorldNode& n = m_world->m_nodes[node];
    Ptr<ns3::Ipv4> ipv4 = n.node->GetObject<ns3::Ipv4>();
    const std::uint32_t i = ipv4->AddInterface(device);
    if (n.address != Ipv4Address()) {
      ipv4->AddAddress(i, ns3::Ipv4InterfaceAddress(ns3::Ipv4Address(n.address.value), ns3::Ipv4Mask::GetOnes()));
    }
    ipv4->SetUp(i);
    return i;
  }

  // The processor of a link: its engine (if bumped) inside its impairment (if impaired).
  std::shared_ptr<PacketProcessor> Processor(const LinkProperties& p, const std::string& linkName,
                                             std::shared_ptr<Engine> engine) {
    const ImpairmentSpec spec{p.loss, p.reorder, p.reorder_delay};
    if (!spec.active()) return engine;
    auto impairment = std::make_shared<LinkImpairment>(spec, impairment_seed(S().seed, linkName), engine);
    m_world->m_impaired.push_back(ImpairedLink{linkName, impairment});
    return impairment;
  }

  Status WireLinks() {
    for (std::size_t i = 0; i < m_stackNodes; ++i) m_graph.nodes.push_back(
        RouteGraph::Node{m_world->m_nodes[i].name, m_world->m_nodes[i].kind == WorldNodeKind::kRouter});

    for (const ScenarioLink& l : S().links) {
      const std::size_t li = static_cast<std::size_t>(&l - S().links.data());
      const ScenarioBump* bump = nullptr;
      for (const ScenarioBump& b : S().bumps) {
        if (FindLink(b.a, b.b) != li) continue;
        if (bump) return make_error("scenario {}: bumps {} and {} are on the same link {}-{}", S().name, bump->name, b.name, l.a, l.b);
        bump = &b;
      }
      const std::string linkName = l.a + "-" + l.b;
      std::shared_ptr<Engine> engine;
      if (bump) {
        EngineDependencies deps;
        if (m_options.engine_dependencies) {
          Result<EngineDependencies> made = m_options.engine_dependencies(*bump);
          if (!made) return make_error("scenario {}: bump {}: {}", S().name, bump->name, made.message());
          deps = std::move(made.value());
        }
        deps.calendar_origin = S().start;
        engine = std::make_shared<Engine>(bump->engine, std::move(deps));
        m_world->m_engines.push_back(engine);
      }
      const bool impaired = ImpairmentSpec{l.properties.loss, l.properties.reorder, l.properties.reorder_delay}.active();
      std::shared_ptr<PacketProcessor> processor = Processor(l.properties, linkName, engine);
      // A bump's own orientation decides which router is side A.
      const std::string& a = bump ? bump->a : l.a;
      const std::string& b = bump ? bump->b : l.b;
      const std::string nodeName = bump ? bump->name : "wire-" + linkName;
      if (Status s = Connect(*Index(a), *Index(b), l.properties, processor, nodeName, linkName); !s) return s;
      if (bump) {
        BumpInfo info{bump->name, bump->a, bump->b, engine.get(), m_lastBump, nullptr};
        if (impaired) info.impairment = m_world->m_impaired.back().impairment.get();
        m_world->m_bumps.push_back(std::move(info));
      }
    }
    for (const ScenarioVantage& v : S().vantages) {
      const std::string linkName = "uplink-" + v.name;
      if (Status s = Connect(*Index(v.name), *Index(v.attach), v.uplink, Processor(v.uplink, linkName, nullptr),
                             "wire-" + linkName, linkName);
          !s) return s;
    }
    for (const ServerSite& site : m_world->m_sites) {
      for (std::string name : {site.name, site.name + "-closed"}) {
        std::optional<std::size_t> node = Index(name);
        if (!node) continue;
        const std::string linkName = "uplink-" + name;
        if (Status s = Connect(*node, *Index(site.router), site.uplink, Processor(site.uplink, linkName, nullptr),
                               "wire-" + linkName, linkName);
            !s) return s;
      }
    }
    return Ok{};
  }

  Status InstallRoutes() {
    // Who owns which address: routers and vantages their own, a site its TLS and down
    // servers, its closed node the no_tls ones.
    std::vector<std::pair<Ipv4Address, std::size_t>> owned;
    std::unordered_map<std::uint32_t, std::string> owner;  // for the error message
    auto own = [&](Ipv4Address a, std::size_t node, const std::string& who) -> Status {
      auto [it, fresh] = owner.emplace(a.value, who);
      if (!fresh) return make_error("scenario {}: address {} is used by both {} and {}", S().name, a.to_string(), it->second, who);
      owned.emplace_back(a, node);
      return Ok{};
    };
    for (const ScenarioRouter& r : S().routers) {
      if (Status s = own(r.address, *Index(r.name), "router " + r.name); !s) return s;
    }
    for (const ScenarioVantage& v : S().vantages) {
      if (Status s = own(v.address, *Index(v.name), "vantage " + v.name); !s) return s;
      GetTableRouting(m_world->m_nodes[*Index(v.name)].node)->AddLocalAddress(ns3::Ipv4Address(v.address.value));
    }
    for (std::size_t si = 0; si < m_world->m_sites.size(); ++si) {
      ServerSite& site = m_world->m_sites[si];
      const std::size_t open = *Index(site.name);
      site.node = m_world->m_nodes[open].node;
      if (std::optional<std::size_t> closed = Index(site.name + "-closed")) site.closedNode = m_world->m_nodes[*closed].node;
      for (std::size_t i : site.servers) {
        const ScenarioServer& server = S().servers[i];
        const bool isClosed = server.kind == CertKind::no_tls;
        const std::size_t node = isClosed ? *Index(site.name + "-closed") : open;
        if (Status s = own(server.address, node, "server " + server.name); !s) return s;
        if (server.kind != CertKind::down) {
          GetTableRouting(m_world->m_nodes[node].node)->AddLocalAddress(ns3::Ipv4Address(server.address.value));
        }
        m_world->m_serverByAddress[server.address.value] = i;
        m_world->m_siteByAddress[server.address.value] = si;
      }
    }

    const std::vector<OwnedPrefix> destinations = aggregate_prefixes(owned, m_options.min_route_prefix);
    Result<std::vector<std::vector<ComputedRoute>>> routes = compute_static_routes(m_graph, destinations);
    if (!routes) return make_error("scenario {}: {}", S().name, routes.message());
    for (std::size_t n = 0; n < m_stackNodes; ++n) {
      const WorldNode& node = m_world->m_nodes[n];
      Ptr<TableRouting> routing = GetTableRouting(node.node);
      if (node.kind == WorldNodeKind::kRouter) {
        for (const ComputedRoute& r : routes.value()[n]) {
          const Edge& e = m_edges[r.edge];
          routing->AddRoute(r.prefix, e.a == n ? e.aInterface : e.bInterface,
                            ns3::Ipv4Address(m_world->m_nodes[r.next].address.value));
        }
        continue;
      }
      // An endpoint has one uplink: everything goes up it.
      for (const Edge& e : m_edges) {
        if (e.a != n && e.b != n) continue;
        const std::size_t other = e.a == n ? e.b : e.a;
        routing->AddRoute(Ipv4Prefix{Ipv4Address(), 0}, e.a == n ? e.aInterface : e.bInterface,
                          ns3::Ipv4Address(m_world->m_nodes[other].address.value));
        break;
      }
    }
    return Ok{};
  }

  Status InstallServers() {
    for (ServerSite& site : m_world->m_sites) {
      const bool tls = std::any_of(site.servers.begin(), site.servers.end(),
                                   [&](std::size_t i) { return serves_tls(S().servers[i].kind); });
      if (!tls) continue;
      if (!m_options.credentials) {
        return make_error("scenario {}: site {} has TLS servers but WorldOptions::credentials is not set", S().name, site.name);
      }
      InstallSiteServers(site, S(), m_options.credentials);
    }
    for (const WorldNode& n : m_world->m_nodes) {
      if (ns3::Names::FindName(n.node) != "" || ns3::Names::Find<ns3::Object>(n.name)) {
        return make_error("scenario {}: ns-3 Names already holds \"{}\": is another World alive?", S().name, n.name);
      }
    }
    for (std::size_t i = 0; i < m_world->m_nodes.size(); ++i) {
      const WorldNode& n = m_world->m_nodes[i];
      ns3::Names::Add(n.name, n.node);
      m_world->m_byNodeId[n.node->GetId()] = i;
    }
    m_world->m_ownsNames = true;
    return Ok{};
  }

  struct Edge {
    std::size_t a, b;
    std::uint32_t aInterface, bInterface;
  };

  std::unique_ptr<World> m_world;
  const WorldOptions& m_options;
  std::size_t m_stackNodes = 0;
  RouteGraph m_graph;
  std::vector<Edge> m_edges;  // parallel to m_graph.edges
  Ptr<BumpNode> m_lastBump;
};

Result<std::unique_ptr<World>> BuildWorld(const Scenario& scenario, const WorldOptions& options) {
  return WorldAssembler(scenario, options).Build();
}

}  // namespace mitmlab
