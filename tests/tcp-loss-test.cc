// TcpEndpoint under loss, reordering and duplication; retransmission timing and backoff with a
// silent peer; the out-of-order bound. All time is the pair's virtual clock.
#define BOOST_TEST_MODULE tcp_loss
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <optional>
#include <vector>

#include "interceptor/tcp/sequence-number.h"
#include "interceptor/tcp/tcp-endpoint.h"
#include "net/tcp-segment.h"
#include "tests/support/tcp-pair.h"

using namespace mitmlab;
using namespace mitmlab::testing;
using namespace std::chrono_literals;

namespace {

TcpPair open_pair(TcpEndpointConfig a_config = {}, TcpEndpointConfig b_config = {},
                  LinkPlan plan = {}, std::uint64_t seed = 1) {
  TcpEndpoint a(client_addresses(), a_config);
  TcpEndpoint b(server_addresses(), b_config);
  BOOST_TEST_REQUIRE(a.connect(Timestamp{}, {.isn = 0xFFFFFFF0u}));
  TcpPair pair(std::move(a), std::move(b), seed, plan, plan, TcpOpenOptions{.isn = 77});
  bool up = pair.drive(
      [&] {
        return pair.a.state() == TcpState::kEstablished && pair.b.state() == TcpState::kEstablished;
      },
      Timestamp(200s));
  BOOST_TEST_REQUIRE(up);
  return pair;
}

TcpPacket parse_ok(const Bytes& datagram) {
  auto p = parse_tcp_packet(datagram);
  BOOST_TEST_REQUIRE(p.ok());
  return *p;
}

// Seconds between successive entries, rounded to the millisecond.
std::vector<double> gaps(const std::vector<Timestamp>& times) {
  std::vector<double> out;
  for (std::size_t i = 1; i < times.size(); ++i)
    out.push_back(std::chrono::round<std::chrono::milliseconds>(times[i] - times[i - 1]).count() /
                  1000.0);
  return out;
}

void transfer_through(double loss, std::uint64_t seed) {
  LinkPlan plan{.latency = 10ms, .loss = loss, .reorder = 0.05, .duplicate = 0.02};
  TcpPair pair = open_pair({}, {}, plan, seed);
  BulkTransfer t{.a_to_b = pattern_bytes(1 << 20, seed),
                 .b_to_a = pattern_bytes(1 << 20, seed + 1),
                 .close_after = true};
  t.attach(pair);
  BOOST_TEST_REQUIRE(pair.drive([&] { return t.complete(); }, Timestamp(3600s)));
  BOOST_TEST((t.received_by_b == t.a_to_b));
  BOOST_TEST((t.received_by_a == t.b_to_a));
  BOOST_TEST(pair.dropped > 0u);
  BOOST_TEST(pair.reordered > 0u);
  BOOST_TEST(pair.duplicated > 0u);
  BOOST_TEST(pair.a.counters().retransmissions > 0u);
  BOOST_TEST(pair.b.counters().retransmissions > 0u);
  BOOST_TEST(pair.a.counters().fast_retransmits > 0u);
  BOOST_TEST(pair.b.counters().duplicates > 0u);
  BOOST_TEST(pair.b.counters().out_of_order_buffered > 0u);
  BOOST_TEST(pair.a.counters().bytes_sent == 1u << 20);  // retransmissions are not new bytes
  // The FINs get through the same loss, and both ends close normally.
  BOOST_TEST_REQUIRE(
      pair.drive([&] { return pair.a.is_closed() && pair.b.is_closed(); }, pair.now + 600s));
  BOOST_TEST(pair.a.close_reason() == TcpCloseReason::kNormal);
  BOOST_TEST(pair.b.close_reason() == TcpCloseReason::kNormal);
  BOOST_TEST_MESSAGE("loss " << loss << ": " << pair.now.count() / 1e9 << " s virtual, "
                             << pair.a.counters().retransmissions << " + "
                             << pair.b.counters().retransmissions << " retransmissions");
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_megabyte_each_way_survives_two_percent_loss) { transfer_through(0.02, 21); }

BOOST_AUTO_TEST_CASE(a_megabyte_each_way_survives_ten_percent_loss) { transfer_through(0.10, 31); }

BOOST_AUTO_TEST_CASE(a_lost_syn_is_sent_again_after_one_second) {
  TcpEndpoint a(client_addresses()), b(server_addresses());
  a.connect(Timestamp{}, {.isn = 5});
  TcpPair pair(std::move(a), std::move(b), 1, {}, {}, TcpOpenOptions{.isn = 9});
  bool dropped_one = false;
  pair.set_tap([&](PairSide from, const Bytes&, Timestamp) {
    if (from == PairSide::kA && !dropped_one) return !(dropped_one = true);
    return true;
  });
  BOOST_TEST_REQUIRE(
      pair.drive([&] { return pair.a.state() == TcpState::kEstablished; }, Timestamp(10s)));
  BOOST_TEST(pair.now.count() == Duration(1s + 20ms).count());
  BOOST_TEST(pair.a.counters().retransmissions == 1u);
  // Karn: the retransmitted SYN's RTT is ambiguous, but its timestamps are not.
  BOOST_TEST(pair.a.rto().count() == Duration(1s).count());
}

BOOST_AUTO_TEST_CASE(rto_doubles_against_a_silent_peer_then_gives_up) {
  TcpPair pair = open_pair();
  pair.set_tap([](PairSide from, const Bytes&, Timestamp) { return from == PairSide::kA; });
  std::uint32_t seq = pair.a.snd_nxt();
  std::vector<Timestamp> sends;
  pair.set_tap([&](PairSide from, const Bytes& d, Timestamp now) {
    if (from == PairSide::kA && parse_ok(d).tcp.header.seq == seq) sends.push_back(now);
    return from == PairSide::kA;  // B is silent: nothing of it reaches A
  });
  pair.a.send(pattern_bytes(100, 1));
  Timestamp start = pair.now;
  BOOST_TEST_REQUIRE(pair.drive([&] { return pair.a.is_closed(); }, pair.now + 3600s));
  BOOST_TEST(pair.a.close_reason() == TcpCloseReason::kTimeout);
  // The original and six retransmissions, 1 s apart then doubling, then 60 s (the ceiling)
  // of silence before giving up.
  std::vector<double> expected{1, 2, 4, 8, 16, 32};
  std::vector<double> got = gaps(sends);
  BOOST_TEST(got == expected, boost::test_tools::per_element());
  BOOST_TEST(pair.a.counters().retransmissions == 6u);
  BOOST_TEST(pair.a.counters().timeouts == 6u);
  BOOST_TEST((pair.now - sends.back()).count() == Duration(60s).count());
  BOOST_TEST((pair.now - start).count() == Duration(123s).count());
  BOOST_TEST(!pair.a.next_timeout().has_value());
}

BOOST_AUTO_TEST_CASE(the_minimum_rto_is_configurable) {
  TcpEndpointConfig config{.min_rto = 200ms, .max_retransmissions = 3};
  TcpPair pair = open_pair(config);
  std::uint32_t seq = pair.a.snd_nxt();
  std::vector<Timestamp> sends;
  pair.set_tap([&](PairSide from, const Bytes& d, Timestamp now) {
    if (from == PairSide::kA && parse_ok(d).tcp.header.seq == seq) sends.push_back(now);
    return from == PairSide::kA;
  });
  pair.a.send(pattern_bytes(100, 1));
  BOOST_TEST_REQUIRE(pair.drive([&] { return pair.a.is_closed(); }, pair.now + 3600s));
  // SRTT 20 ms, RTTVAR 10 ms from the handshake: 60 ms, raised to the 200 ms floor.
  std::vector<double> expected{0.2, 0.4, 0.8};
  std::vector<double> got = gaps(sends);
  BOOST_TEST(got == expected, boost::test_tools::per_element());
  BOOST_TEST(pair.a.close_reason() == TcpCloseReason::kTimeout);
}

BOOST_AUTO_TEST_CASE(an_unanswered_syn_backs_off_and_fails) {
  TcpEndpoint a(client_addresses());
  a.connect(Timestamp{}, {.isn = 5});
  std::vector<Timestamp> syns;
  Timestamp now{};
  for (int i = 0; i < 100 && !a.is_closed(); ++i) {
    while (auto d = a.poll_transmit(now)) {
      BOOST_TEST(parse_ok(*d).tcp.header.flags == tcp_flag::kSyn);
      syns.push_back(now);
    }
    auto t = a.next_timeout();
    BOOST_TEST_REQUIRE(t.has_value());
    now = *t;
    a.on_timeout(now);
  }
  std::vector<double> expected{1, 2, 4, 8, 16, 32};
  std::vector<double> got = gaps(syns);
  BOOST_TEST(got == expected, boost::test_tools::per_element());
  BOOST_TEST(a.state() == TcpState::kClosed);
  BOOST_TEST(a.close_reason() == TcpCloseReason::kTimeout);
  BOOST_TEST(now.count() == Duration(123s).count());
}

BOOST_AUTO_TEST_CASE(out_of_order_bytes_beyond_the_cap_are_dropped_and_recovered) {
  // B holds at most four segments out of order. A sends ten (its initial window); the first
  // is lost once, so nine arrive early: four are kept, five refused.
  TcpEndpointConfig bounded{.reassembly_cap_bytes = 4 * 1448};
  TcpPair pair = open_pair({}, bounded);
  Bytes data = pattern_bytes(10 * 1448, 3);
  std::uint32_t first = pair.a.snd_nxt();
  bool lost = false;
  std::optional<TcpSack> first_sack;  // on B's first duplicate ACK
  pair.set_tap([&](PairSide from, const Bytes& d, Timestamp) {
    TcpPacket p = parse_ok(d);
    if (from == PairSide::kA && !lost && p.tcp.header.seq == first) return !(lost = true);
    if (from == PairSide::kB && !first_sack)
      if (const auto* sack = find_tcp_option<TcpSack>(p.tcp.header.options)) first_sack = *sack;
    return true;
  });
  BOOST_TEST(pair.a.send(data) == data.size());
  Bytes got;
  pair.set_app([&] {
    Bytes chunk = pair.b.read(pair.b.readable());
    got.insert(got.end(), chunk.begin(), chunk.end());
  });
  BOOST_TEST_REQUIRE(pair.drive([&] { return got.size() == data.size(); }, pair.now + 600s));
  BOOST_TEST(lost);
  BOOST_TEST((got == data));
  BOOST_TEST(pair.b.counters().out_of_order_buffered == 4u);
  BOOST_TEST(pair.b.counters().out_of_order_dropped == 5u);
  BOOST_TEST(pair.a.counters().fast_retransmits == 1u);
  // B told A what it held: the second segment, right after the hole.
  BOOST_TEST_REQUIRE(first_sack.has_value());
  BOOST_TEST_REQUIRE(first_sack->blocks.size() == 1u);
  BOOST_TEST(first_sack->blocks[0].left == seq_add(first, 1448));
  BOOST_TEST(first_sack->blocks[0].right == seq_add(first, 2 * 1448));
  // The lost segment and the five refused ones, each sent once more.
  BOOST_TEST(pair.a.counters().retransmissions == 6u);
}

BOOST_AUTO_TEST_CASE(a_needless_retransmission_does_not_inflate_the_rtt) {
  // B gets A's segment but its ACKs are lost three times, so A retransmits at 1, 3 and 7 s
  // what B already has. B echoes the original TSval (RFC 7323 4.3): taken as an RTT sample,
  // that would be 7 s. A must come back to its 1 s RTO as soon as new data is acknowledged.
  TcpPair pair = open_pair();
  int acks_lost = 0;
  pair.set_tap([&](PairSide from, const Bytes&, Timestamp) {
    if (from == PairSide::kB && acks_lost < 3) return !(++acks_lost);
    return true;
  });
  pair.a.send(pattern_bytes(1000, 1));
  BOOST_TEST_REQUIRE(
      pair.drive([&] { return pair.a.bytes_in_flight() == 0 && acks_lost == 3; }, pair.now + 60s));
  BOOST_TEST(pair.a.counters().timeouts == 3u);
  BOOST_TEST(pair.b.counters().duplicates == 3u);
  std::uint32_t end = seq_add(pair.a.snd_una(), 1000);
  pair.a.send(pattern_bytes(1000, 2));
  BOOST_TEST_REQUIRE(pair.drive([&] { return pair.a.snd_una() == end; }, pair.now + 60s));
  BOOST_TEST(pair.a.rto().count() == Duration(1s).count());
}

BOOST_AUTO_TEST_CASE(time_wait_acknowledges_retransmitted_data_too) {
  // B closed first and is in TIME_WAIT when A, which never saw B's ACKs, sends old data
  // again (its FIN follows further on): B must ACK it, or A retries into silence.
  TcpPair pair = open_pair();
  pair.b.close();
  BOOST_TEST_REQUIRE(pair.drive([&] { return pair.a.peer_finished(); }, pair.now + 10s));
  Bytes data = pattern_bytes(3000, 3);
  pair.a.send(data);
  pair.a.close();
  BOOST_TEST_REQUIRE(
      pair.drive([&] { return pair.b.state() == TcpState::kTimeWait; }, pair.now + 10s));
  const TcpAddressPair& s = pair.a.addresses();
  std::uint32_t first = seq_add(pair.b.rcv_nxt(), -3001);  // A's first data byte
  pair.b.on_datagram(pair.now, build_tcp_packet({.source = s.local,
                                                 .source_port = s.local_port,
                                                 .destination = s.remote,
                                                 .destination_port = s.remote_port,
                                                 .seq = first,
                                                 .ack = pair.b.snd_max(),
                                                 .flags = tcp_flag::kAck,
                                                 .window = 1000,
                                                 .payload = ByteView(data).first(1448)}));
  std::optional<Bytes> ack = pair.b.poll_transmit(pair.now);
  BOOST_TEST_REQUIRE(ack.has_value());
  TcpPacket p = parse_ok(*ack);
  BOOST_TEST(p.tcp.header.flags == tcp_flag::kAck);
  BOOST_TEST(p.tcp.header.ack == pair.b.rcv_nxt());
  BOOST_TEST(pair.b.state() == TcpState::kTimeWait);
}
