#include "tests/support/tcp-pair.h"

#include <algorithm>

#include "net/tcp-segment.h"

namespace mitmlab::testing {

TcpPair::TcpPair(TcpEndpoint a_in, TcpEndpoint b_in, std::uint64_t seed, LinkPlan a_to_b,
                 LinkPlan b_to_a, std::optional<TcpOpenOptions> b_listen)
    : a(std::move(a_in)),
      b(std::move(b_in)),
      a_to_b_(a_to_b),
      b_to_a_(b_to_a),
      b_listen_(b_listen),
      rng_(seed) {}

void TcpPair::enqueue(PairSide from, Bytes datagram) {
  if (tap_ && !tap_(from, datagram, now)) {
    tapped++;
    return;
  }
  LinkPlan& p = plan(from);
  if (roll(p.loss)) {
    dropped++;
    return;
  }
  PairSide to = from == PairSide::kA ? PairSide::kB : PairSide::kA;
  Timestamp arrival = now + p.latency;
  if (roll(p.reorder)) {
    reordered++;
    arrival += p.reorder_delay;
  }
  if (roll(p.duplicate)) {
    duplicated++;
    links_.emplace(std::pair{arrival + std::chrono::milliseconds(1), order_++},
                   InFlight{to, datagram});
  }
  links_.emplace(std::pair{arrival, order_++}, InFlight{to, std::move(datagram)});
}

void TcpPair::flush() {
  if (app_) app_();
  // Alternate so neither side starves the other; stop when both are quiet.
  bool any = true;
  while (any) {
    any = false;
    if (auto d = a.poll_transmit(now)) {
      enqueue(PairSide::kA, std::move(*d));
      any = true;
    }
    if (auto d = b.poll_transmit(now)) {
      enqueue(PairSide::kB, std::move(*d));
      any = true;
    }
  }
}

void TcpPair::deliver(PairSide to, const Bytes& datagram) {
  delivered++;
  TcpEndpoint& e = to == PairSide::kA ? a : b;
  if (to == PairSide::kB && b_listen_ && b.state() == TcpState::kIdle) {
    auto packet = parse_tcp_packet(datagram);
    if (packet.ok() && b.accept(now, *packet, *b_listen_)) return;
  }
  e.on_datagram(now, datagram);
}

bool TcpPair::step(Timestamp limit) {
  flush();
  std::optional<Timestamp> next;
  auto consider = [&](std::optional<Timestamp> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (!links_.empty()) consider(links_.begin()->first.first);
  consider(a.next_timeout());
  consider(b.next_timeout());
  if (!next || *next > limit) return false;
  now = std::max(now, *next);
  while (!links_.empty() && links_.begin()->first.first <= now) {
    InFlight f = std::move(links_.begin()->second);
    links_.erase(links_.begin());
    deliver(f.to, f.datagram);
    flush();  // answer each datagram before the next, as a real host would
  }
  if (auto t = a.next_timeout(); t && *t <= now) a.on_timeout(now);
  if (auto t = b.next_timeout(); t && *t <= now) b.on_timeout(now);
  flush();
  return true;
}

bool TcpPair::drive(const std::function<bool()>& done, Timestamp deadline, std::size_t max_events) {
  for (std::size_t i = 0; i < max_events && !done(); ++i)
    if (!step(deadline)) break;
  return done();
}

void TcpPair::run_for(Duration d) {
  Timestamp end = now + d;
  while (step(end)) {
  }
  now = std::max(now, end);
  flush();
}

TcpAddressPair client_addresses() {
  return {Ipv4Address(10, 0, 0, 1), 40000, Ipv4Address(10, 0, 1, 1), 443};
}

TcpAddressPair server_addresses() {
  return {Ipv4Address(10, 0, 1, 1), 443, Ipv4Address(10, 0, 0, 1), 40000};
}

Bytes pattern_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes out(n);
  for (auto& byte : out) byte = static_cast<std::uint8_t>(rng());
  return out;
}

std::size_t pump(TcpEndpoint& e, ByteView data, std::size_t offset, Bytes& sink) {
  if (offset < data.size()) offset += e.send(data.subspan(offset));
  Bytes got = e.read(e.readable());
  sink.insert(sink.end(), got.begin(), got.end());
  return offset;
}

void BulkTransfer::attach(TcpPair& pair) {
  pair.set_app([this, &pair] {
    a_offset = pump(pair.a, a_to_b, a_offset, received_by_a);
    b_offset = pump(pair.b, b_to_a, b_offset, received_by_b);
    // Only once open: close() in SynSent abandons the connection.
    auto open = [](const TcpEndpoint& e) {
      return e.state() == TcpState::kEstablished || e.state() == TcpState::kCloseWait;
    };
    if (close_after && a_offset == a_to_b.size() && open(pair.a)) pair.a.close();
    if (close_after && b_offset == b_to_a.size() && open(pair.b)) pair.b.close();
  });
}

}  // namespace mitmlab::testing
