// Two TcpEndpoints joined by an in-memory link with a virtual clock, like quinn-proto's Pair:
// each direction has a one-way latency and a seeded plan that loses, delays (reorders) and
// duplicates datagrams; a tap sees every datagram and may drop it. drive() is bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <utility>

#include "interceptor/tcp/tcp-endpoint.h"
#include "net/bytes.h"
#include "net/clock.h"

namespace mitmlab::testing {

struct LinkPlan {
  Duration latency = std::chrono::milliseconds(10);
  double loss = 0.0;       // probability a datagram is dropped
  double reorder = 0.0;    // probability it is held back by reorder_delay (so others overtake it)
  double duplicate = 0.0;  // probability a second copy follows 1 ms later
  Duration reorder_delay = std::chrono::milliseconds(15);
};

enum class PairSide : std::uint8_t { kA, kB };

class TcpPair {
 public:
  // `a` and `b` as constructed (Idle, adopted, or connecting). If `b_listen` is set and `b` is
  // still Idle when a SYN reaches it, b.accept() takes it with these options.
  TcpPair(TcpEndpoint a, TcpEndpoint b, std::uint64_t seed, LinkPlan a_to_b = {},
          LinkPlan b_to_a = {}, std::optional<TcpOpenOptions> b_listen = std::nullopt);

  // Sees each datagram as its sender emits it; returning false drops it before the plan.
  using Tap = std::function<bool(PairSide from, const Bytes& datagram, Timestamp now)>;
  void set_tap(Tap tap) { tap_ = std::move(tap); }
  void set_plan(PairSide from, LinkPlan p) { plan(from) = p; }
  // The application on both ends (send, read), run before each event's output is drained.
  void set_app(std::function<void()> app) { app_ = std::move(app); }

  // Runs events (deliveries and timers) until `done()` holds, nothing is left to happen, the
  // virtual clock passes `deadline`, or `max_events` ran. Returns done() at the end.
  bool drive(const std::function<bool()>& done, Timestamp deadline,
             std::size_t max_events = 2'000'000);
  // Runs every event up to now + d; the clock ends at now + d.
  void run_for(Duration d);
  // Drains both endpoints' output into the links.
  void flush();

  TcpEndpoint a;
  TcpEndpoint b;
  Timestamp now{};
  // What the links did.
  std::uint64_t dropped = 0;
  std::uint64_t tapped = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  std::uint64_t delivered = 0;

 private:
  struct InFlight {
    PairSide to;
    Bytes datagram;
  };
  // One event: deliveries due and timers due at the earliest pending time, if before `limit`.
  bool step(Timestamp limit);
  void enqueue(PairSide from, Bytes datagram);
  void deliver(PairSide to, const Bytes& datagram);
  LinkPlan& plan(PairSide from) { return from == PairSide::kA ? a_to_b_ : b_to_a_; }
  bool roll(double p) { return p > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  LinkPlan a_to_b_;
  LinkPlan b_to_a_;
  std::optional<TcpOpenOptions> b_listen_;
  Tap tap_;
  std::function<void()> app_;
  std::mt19937_64 rng_;
  std::uint64_t order_ = 0;  // ties at equal arrival time keep send order
  std::multimap<std::pair<Timestamp, std::uint64_t>, InFlight> links_;
};

// Addresses the tests use: A is a client, B a server on port 443.
TcpAddressPair client_addresses();
TcpAddressPair server_addresses();

// Pseudo-random bytes from a seed, for transfers checked byte for byte.
Bytes pattern_bytes(std::size_t n, std::uint64_t seed);

// Offers as much of `data` (from `offset`) as `e` accepts and reads what `e` has received into
// `sink`. Returns the new offset.
std::size_t pump(TcpEndpoint& e, ByteView data, std::size_t offset, Bytes& sink);

// A bulk transfer both ways through a pair: the application on each side offers its bytes as
// the send buffer allows and reads everything it receives; with `close_after` each side
// closes once all its bytes are accepted by its endpoint.
struct BulkTransfer {
  Bytes a_to_b{};
  Bytes b_to_a{};
  bool close_after = false;
  std::size_t a_offset = 0;
  std::size_t b_offset = 0;
  Bytes received_by_b{};
  Bytes received_by_a{};

  void attach(TcpPair& pair);
  bool complete() const {
    return received_by_b.size() == a_to_b.size() && received_by_a.size() == b_to_a.size();
  }
};

}  // namespace mitmlab::testing
