// An in-memory network for the TTL localizer's tests: per server address, a path of
// routers (each at one TTL distance, silent or not), the server at distance m behind them
// (a real OpenSSL server, tests/support/sni-test-server.h), and optionally an injector at
// distance n that answers, as the server, hellos naming its target SNI (a bump in the wire
// between routers n-1 and n: it never shows up as a hop). The injector holds the hello by
// default; a copying one lets it go on (router n still expires it, its ICMP racing the
// answer, which `delay` can make lose). It performs a Localizer's
// actions at two levels: raw mode speaks whole IPv4 packets (a hand-rolled TCP responder,
// no retransmission: only ICMP is ever lost), socket mode speaks connections (ConnectAction,
// SendAction.ttl, on_icmp). Every hop costs `hop_delay` each way on a virtual clock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "net/bytes.h"
#include "net/clock.h"
#include "net/ipv4-address.h"
#include "scanner/localizer.h"
#include "tests/support/sni-test-server.h"

namespace mitmlab::test {

struct FakeInjector {
  unsigned distance = 0;  // n: sees packets that left us with TTL >= n
  std::string sni;        // the hellos it answers
  std::shared_ptr<const SniTestServerContexts> tls;
  bool reset = false;  // answers with a RST (as the host) instead of a TLS flight
  // The hello goes on past the box: routers at distance >= n still expire it (and the server,
  // when reached, takes it but its answer is dropped: the box owns that connection's replies).
  bool copies = false;
  Duration delay{};  // extra time before the box's answer reaches us (a slow forger)
};

struct FakeHostPath {
  // Router i+1 (TTL distance i+1) answers time-exceeded from routers[i]; nullopt: silent.
  std::vector<std::optional<Ipv4Address>> routers;
  std::shared_ptr<const SniTestServerContexts> tls;  // the server, at distance routers+1
  std::optional<FakeInjector> injector;
  bool refuse = false;             // RST to SYN / connection refused
  bool dead = false;               // never answers anything (connect times out)
  bool answers_hellos = true;      // false: the handshake works, the hello is swallowed
  std::map<unsigned, int> lose_icmp;  // router distance -> how many of its ICMPs to lose first
  std::map<unsigned, Duration> slow_icmp;  // router distance -> extra delay of its ICMPs
  // How many of our SYNs to lose first (raw mode); socket mode: how many connections never
  // come up (they time out).
  int lose_syns = 0;
  int slow_connects = 0;  // socket mode: how many connections take 3 s more to come up
  unsigned distance() const { return static_cast<unsigned>(routers.size()) + 1; }
};

class FakePath {
 public:
  explicit FakePath(Ipv4Address client);
  ~FakePath();
  std::map<std::string, FakeHostPath> hosts;  // by server address (dotted quad)
  Duration hop_delay = std::chrono::milliseconds(1);

  // Drives the localizer until done and its last actions are drained; fails the test if it
  // stalls. Returns the results in the order they came.
  std::vector<TraceResult> run(Localizer& localizer, Timestamp& now);

  // Packets to deliver to the localizer untouched at a given time (hostile input).
  void inject(Timestamp at, Bytes ipv4);

  std::size_t open_connections() const { return conns_.size(); }
  std::uint64_t packets_sent = 0;  // raw packets the localizer sent
  std::uint64_t hellos_at_server = 0;

 private:
  struct Conn;  // a TCP connection (raw) or a transport connection (socket), server side
  using Event = std::function<void(Localizer&, Timestamp)>;
  void schedule(Timestamp at, Event event);
  void perform(Timestamp now, const LocalizerAction& action);
  void perform_raw(Timestamp now, const Bytes& packet);
  void perform_socket(Timestamp now, const LocalizerAction& action);
  // Where a payload sent with `ttl` ends up, and what answers.
  // A copying injector answers and lets the payload go on: `injected` then says so while
  // `kind` is where the payload itself ends.
  struct Reach {
    enum Kind { router, injector, server } kind = server;
    unsigned distance = 0;
    bool injected = false;  // a copying injector answers too (at path.injector->distance)
  };
  Reach walk(FakeHostPath& path, Conn& conn, unsigned ttl, ByteView payload);
  bool icmp_from(FakeHostPath& path, unsigned distance);  // false: lost or silent
  Timestamp icmp_time(const FakeHostPath& path, Timestamp now, unsigned distance) const;
  Timestamp injector_time(const FakeHostPath& path, Timestamp now) const;
  void deliver_raw(Timestamp at, Bytes packet);

  Ipv4Address client_;
  std::multimap<std::pair<Timestamp, std::uint64_t>, Event> events_;
  std::uint64_t event_seq_ = 0;
  std::map<std::uint64_t, std::unique_ptr<Conn>> conns_;  // raw: our port; socket: ConnId
};

}  // namespace mitmlab::test
