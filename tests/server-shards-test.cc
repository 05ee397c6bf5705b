// Which servers a shard of a run owns (sim/server-shards.h): every K-th of the flat list,
// each server in exactly one shard, hosts filtered in their order, connection limits split.
#define BOOST_TEST_MODULE server_shards
#include <boost/test/unit_test.hpp>

#include "sim/server-shards.h"

using namespace mitmlab;

namespace {

Scenario with_servers(int n) {
  Scenario s;
  for (int i = 0; i < n; ++i) {
    ScenarioServer server;
    server.name = "s" + std::to_string(i);
    server.address = Ipv4Address(10, 0, 0, static_cast<std::uint8_t>(i + 1));
    s.servers.push_back(server);
  }
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_server_belongs_to_exactly_one_shard) {
  const Scenario s = with_servers(10);
  std::vector<ServerShards> shards;
  for (std::size_t k = 0; k < 3; ++k) shards.emplace_back(s, k, 3);
  for (std::size_t i = 0; i < s.servers.size(); ++i) {
    int owners = 0;
    for (const ServerShards& shard : shards) owners += shard.owns(s.servers[i].address);
    BOOST_TEST(owners == 1);
    BOOST_TEST(shards[i % 3].owns(s.servers[i].address));
  }
  BOOST_TEST(!shards[0].owns(Ipv4Address(192, 0, 2, 1)));  // not a server at all
  const ServerShards whole(s, 0, 1);
  for (const ScenarioServer& server : s.servers) BOOST_TEST(whole.owns(server.address));
}

BOOST_AUTO_TEST_CASE(hosts_are_kept_in_their_order) {
  const ServerShards second(with_servers(6), 1, 2);  // s1, s3, s5: 10.0.0.2, .4, .6
  std::vector<ScanHost> hosts = {{"10.0.0.6", 443}, {"10.0.0.1", 443}, {"10.0.0.2", 8443},
                                 {"not an address", 443}, {"10.0.0.4", 443}};
  std::vector<ScanHost> kept = second.keep_own(hosts);
  BOOST_REQUIRE(kept.size() == 3u);
  BOOST_TEST(kept[0].address == "10.0.0.6");
  BOOST_TEST(kept[1].address == "10.0.0.2");
  BOOST_TEST(kept[1].port == 8443);
  BOOST_TEST(kept[2].address == "10.0.0.4");
}

BOOST_AUTO_TEST_CASE(connection_limits_are_shared_rounding_up) {
  const Scenario s = with_servers(4);
  BOOST_TEST(ServerShards(s, 0, 1).share_of(100) == 100u);
  BOOST_TEST(ServerShards(s, 0, 2).share_of(100) == 50u);
  BOOST_TEST(ServerShards(s, 1, 3).share_of(10) == 4u);
  BOOST_TEST(ServerShards(s, 2, 4).share_of(1) == 1u);
}
