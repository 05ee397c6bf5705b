// The chain world (in sim/: the tests and `mitmlab bench engine` both build it):
// client ── r1 ── r2 ══[bump]══ r3 ── r4 ── server, one /24 per link
// (10.0.<link>.0, left end .1, right end .2), static routes everywhere (global routing
// aborts on the bump node), checksums on, TCP segment size 1448. The bump sees the
// client's side as LinkSide::kA.
#pragma once

#include <array>
#include <memory>

#include <ns3/ipv4-address.h>
#include <ns3/node-container.h>

#include "interceptor/bump-io.h"
#include "sim/bump-helper.h"

namespace mitmlab {

struct ChainTopology {
  static constexpr std::size_t kClient = 0, kR1 = 1, kR2 = 2, kR3 = 3, kR4 = 4, kServer = 5;
  static constexpr std::size_t kBumpLink = 2;  // the link between r2 and r3

  ns3::NodeContainer nodes;  // indexed by the constants above
  BumpLink bump;
  // address[link][0] is the left end of link i (node i), [1] the right end (node i+1).
  std::array<std::array<ns3::Ipv4Address, 2>, 5> address;

  ns3::Ptr<ns3::Node> Node(std::size_t i) const { return nodes.Get(static_cast<std::uint32_t>(i)); }
  ns3::Ipv4Address ServerAddress() const { return address[4][1]; }
  ns3::Ipv4Address ClientAddress() const { return address[0][0]; }
};

// Sets the ns-3 defaults above and builds the chain with `processor` in the bump.
ChainTopology BuildChainTopology(std::shared_ptr<PacketProcessor> processor);

}  // namespace mitmlab
