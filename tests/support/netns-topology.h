// A line of four Linux network namespaces for live tests that need real routers:
//
//   client 10.250.0.1 -- .2 router1 .5 -- .6 router2 .9 -- .10 server
//
// joined by veth pairs, a /30 per link, ip_forward on in the routers (ICMP rate limits off,
// so every probe draws its error), default routes towards the server. router2 also sends
// 10.250.8.0/24 on to the server, which drops it silently (not a router): a destination
// that never answers; and has an unreachable route for 10.250.9.0/24: a destination its
// router reports unreachable. Names carry the pid, so parallel runs do not collide. The
// destructor deletes the namespaces (and with them their veths) however the test ended.
// Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and `ip`: skip_reason() says why not.
#pragma once

#include <functional>
#include <string>

#include "net/ipv4-address.h"

namespace mitmlab::test {

class NetnsTopology {
 public:
  // "" when the topology can be built here, else why not (for a skip message).
  static std::string skip_reason();

  // Throws std::runtime_error, after removing what it made, when a step fails.
  NetnsTopology();
  ~NetnsTopology();
  NetnsTopology(const NetnsTopology&) = delete;
  NetnsTopology& operator=(const NetnsTopology&) = delete;

  std::string client, router1, router2, server;  // namespace names
  static constexpr Ipv4Address kClient{10, 250, 0, 1};
  static constexpr Ipv4Address kRouter1{10, 250, 0, 2};  // router1, facing the client
  static constexpr Ipv4Address kRouter2{10, 250, 0, 6};  // router2, facing router1
  static constexpr Ipv4Address kServer{10, 250, 0, 10};
  static constexpr Ipv4Address kSilent{10, 250, 8, 1};       // dropped by the server
  static constexpr Ipv4Address kUnreachable{10, 250, 9, 1};  // router2: host unreachable

  // `ip netns exec NS sh -c COMMAND`; its exit status (-1 if it did not exit).
  int exec(const std::string& ns, const std::string& command) const;
  // Runs `fn` on a thread that has entered `ns` (sockets it makes live there) and waits.
  void run_in(const std::string& ns, const std::function<void()>& fn) const;
  // A TCP socket listening on address:port in `ns` (it stays in that namespace whichever
  // thread uses it). Throws std::runtime_error on failure.
  int listen_in(const std::string& ns, Ipv4Address address, std::uint16_t port) const;

 private:
  void build();
  void teardown();
  std::string prefix_;
};

}  // namespace mitmlab::test
