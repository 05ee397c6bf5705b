// TcpEndpoint against another TcpEndpoint over a clean in-memory link: the handshake, bulk
// transfer, the peer's window, closing in every order, resets and hostile segments.
#define BOOST_TEST_MODULE tcp_endpoint
#include "interceptor/tcp/tcp-endpoint.h"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <set>

#include "interceptor/tcp/sequence-number.h"
#include "net/tcp-segment.h"
#include "tests/support/tcp-pair.h"

using namespace mitmlab;
using namespace mitmlab::testing;
using namespace std::chrono_literals;

namespace {

constexpr Timestamp kLongAfter = Timestamp(600s);

// A connected pair: A connects (ISN 1000), B accepts (ISN 5000). Both are Established.
TcpPair open_pair(TcpEndpointConfig a_config = {}, TcpEndpointConfig b_config = {},
                  LinkPlan plan = {}) {
  TcpEndpoint a(client_addresses(), a_config);
  TcpEndpoint b(server_addresses(), b_config);
  BOOST_TEST_REQUIRE(a.connect(Timestamp{}, {.isn = 1000}));
  TcpPair pair(std::move(a), std::move(b), 1, plan, plan, TcpOpenOptions{.isn = 5000});
  bool up = pair.drive(
      [&] {
        return pair.a.state() == TcpState::kEstablished && pair.b.state() == TcpState::kEstablished;
      },
      Timestamp(10s));
  BOOST_TEST_REQUIRE(up);
  return pair;
}

TcpPacket parse_ok(const Bytes& datagram) {
  auto p = parse_tcp_packet(datagram);
  BOOST_TEST_REQUIRE(p.ok());
  BOOST_TEST_REQUIRE(p->tcp.checksum_ok);
  return *p;
}

// A segment as B would send it to A, with B's current numbers unless overridden.
Bytes from_b(const TcpPair& pair, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags,
             ByteView payload = {}) {
  const TcpAddressPair& s = pair.b.addresses();
  TcpOptions options{TcpNop{}, TcpNop{}, TcpTimestamps{pair.b.tsval(pair.now), 1}};
  return build_tcp_packet({.source = s.local,
                           .source_port = s.local_port,
                           .destination = s.remote,
                           .destination_port = s.remote_port,
                           .seq = seq,
                           .ack = ack,
                           .flags = flags,
                           .window = 1000,
                           .options = options,
                           .payload = payload});
}

}  // namespace

BOOST_AUTO_TEST_CASE(active_open_negotiates_every_option) {
  TcpEndpoint a(client_addresses());
  TcpEndpoint b(server_addresses());
  a.connect(Timestamp(5ms), {.isn = 1000, .clock = {777, Timestamp{}}});
  std::vector<Bytes> seen;
  TcpPair pair(std::move(a), std::move(b), 1, {}, {}, TcpOpenOptions{.isn = 5000});
  pair.now = Timestamp(5ms);
  pair.set_tap([&](PairSide, const Bytes& d, Timestamp) {
    seen.push_back(d);
    return true;
  });
  pair.run_for(100ms);
  BOOST_TEST(pair.a.state() == TcpState::kEstablished);
  BOOST_TEST(pair.b.state() == TcpState::kEstablished);
  BOOST_TEST_REQUIRE(seen.size() == 3u);

  TcpPacket syn = parse_ok(seen[0]);
  BOOST_TEST(syn.tcp.header.flags == tcp_flag::kSyn);
  BOOST_TEST(syn.tcp.header.seq == 1000u);
  BOOST_TEST(syn.ip.header.ttl == 64);
  TcpOptionSummary o = summarize_tcp_options(syn.tcp.header.options);
  BOOST_TEST(o.mss.value_or(0) == 1460);
  BOOST_TEST(o.sack_permitted);
  BOOST_TEST(o.window_scale.value_or(99) == 2);
  BOOST_TEST_REQUIRE(o.timestamps.has_value());
  BOOST_TEST(o.timestamps->value == 777u + 5u);  // the clock: 777 at 0 ms, sent at 5 ms
  BOOST_TEST(o.timestamps->echo_reply == 0u);

  TcpPacket syn_ack = parse_ok(seen[1]);
  BOOST_TEST(syn_ack.tcp.header.flags == (tcp_flag::kSyn | tcp_flag::kAck));
  BOOST_TEST(syn_ack.tcp.header.seq == 5000u);
  BOOST_TEST(syn_ack.tcp.header.ack == 1001u);
  TcpOptionSummary o2 = summarize_tcp_options(syn_ack.tcp.header.options);
  BOOST_TEST(o2.timestamps->echo_reply == 782u);
  BOOST_TEST(o2.timestamps->value == 15u);  // B's clock: ms since zero, at 15 ms

  TcpPacket ack = parse_ok(seen[2]);
  BOOST_TEST(ack.tcp.header.flags == tcp_flag::kAck);
  BOOST_TEST(ack.tcp.header.seq == 1001u);
  BOOST_TEST(ack.tcp.header.ack == 5001u);
  BOOST_TEST(ack.tcp.header.window == 65535);  // 256 KiB >> 2, clamped to the field

  // 1460 announced minus 12 bytes of timestamps.
  BOOST_TEST(pair.a.segment_payload() == 1448u);
  BOOST_TEST(pair.b.segment_payload() == 1448u);
  BOOST_TEST(pair.a.peer_window() == 65535u);  // the SYN-ACK's window is not scaled
  // One RTT sample of 20 ms, well under the 1 s floor.
  BOOST_TEST(pair.a.rto().count() == Duration(1s).count());
}

BOOST_AUTO_TEST_CASE(a_megabyte_each_way_arrives_byte_identical) {
  TcpPair pair = open_pair();
  BulkTransfer t{.a_to_b = pattern_bytes(1 << 20, 1), .b_to_a = pattern_bytes(1 << 20, 2)};
  t.attach(pair);
  BOOST_TEST_REQUIRE(pair.drive([&] { return t.complete(); }, Timestamp(60s)));
  pair.run_for(100ms);  // the last ACKs
  BOOST_TEST((t.received_by_b == t.a_to_b));
  BOOST_TEST((t.received_by_a == t.b_to_a));
  BOOST_TEST(pair.a.counters().bytes_sent == 1u << 20);
  BOOST_TEST(pair.b.counters().bytes_received == 1u << 20);
  BOOST_TEST(pair.a.counters().retransmissions == 0u);
  BOOST_TEST(pair.b.counters().duplicates == 0u);
  BOOST_TEST(pair.a.snd_una() == seq_add(1001, 1 << 20));
  BOOST_TEST(pair.b.rcv_nxt() == seq_add(1001, 1 << 20));
}

BOOST_AUTO_TEST_CASE(fin_each_way_walks_the_half_close_states) {
  TcpPair pair = open_pair();
  Bytes data = pattern_bytes(5000, 3);
  BOOST_TEST(pair.a.send(data) == 5000u);
  pair.a.close();
  BOOST_TEST(pair.a.state() == TcpState::kFinWait1);
  BOOST_TEST(pair.a.send(data) == 0u);  // nothing after close
  BOOST_TEST_REQUIRE(pair.drive([&] { return pair.b.peer_finished(); }, Timestamp(10s)));
  pair.run_for(50ms);
  BOOST_TEST(pair.b.state() == TcpState::kCloseWait);
  BOOST_TEST(pair.a.state() == TcpState::kFinWait2);
  BOOST_TEST((pair.b.read(10000) == data));

  // B may still send after A's FIN: the half-close.
  BOOST_TEST(pair.b.send(as_bytes("late reply")) == 10u);
  pair.b.close();
  BOOST_TEST(pair.b.state() == TcpState::kLastAck);
  BOOST_TEST_REQUIRE(
      pair.drive([&] { return pair.a.state() == TcpState::kTimeWait; }, Timestamp(10s)));
  Timestamp entered = pair.now;
  BOOST_TEST(as_chars(pair.a.read(100)) == "late reply");
  BOOST_TEST(pair.a.peer_finished());
  BOOST_TEST_REQUIRE(pair.drive([&] { return pair.b.is_closed(); }, Timestamp(10s)));
  BOOST_TEST(pair.b.close_reason() == TcpCloseReason::kNormal);
  BOOST_TEST_REQUIRE(pair.drive([&] { return pair.a.is_closed(); }, Timestamp(60s)));
  BOOST_TEST(pair.a.close_reason() == TcpCloseReason::kNormal);
  BOOST_TEST((pair.now - entered).count() == Duration(10s).count());  // the TIME_WAIT linger
}

BOOST_AUTO_TEST_CASE(time_wait_re_acks_a_repeated_fin) {
  TcpPair pair = open_pair();
  pair.a.close();
  BOOST_TEST_REQUIRE(
      pair.drive([&] { return pair.b.state() == TcpState::kCloseWait; }, Timestamp(10s)));
  pair.b.close();
  // Lose A's last ACK once: B repeats its FIN and A, in TIME_WAIT, must answer it.
  int lost = 0;
  pair.set_tap([&](PairSide from, const Bytes& d, Timestamp) {
    if (from == PairSide::kA && lost == 0) {
      ++lost;
      return false;
    }
    return true;
  });
  BOOST_TEST_REQUIRE(
      pair.drive([&] { return pair.a.is_closed() && pair.b.is_closed(); }, Timestamp(60s)));
  BOOST_TEST(lost == 1);
  BOOST_TEST(pair.b.close_reason() == TcpCloseReason::kNormal);
  BOOST_TEST(pair.b.counters().retransmissions == 1u);
  BOOST_TEST(pair.a.counters().duplicates == 1u);
}

BOOST_AUTO_TEST_CASE(simultaneous_close_goes_through_closing) {
  TcpPair pair = open_pair();
  std::set<TcpState> a_states, b_states;
  pair.set_app([&] {
    a_states.insert(pair.a.state());
    b_states.insert(pair.b.state());
  });
  pair.a.close();
  pair.b.close();
  BOOST_TEST_REQUIRE(
      pair.drive([&] { return pair.a.is_closed() && pair.b.is_closed(); }, Timestamp(60s)));
  BOOST_TEST(a_states.count(TcpState::kClosing) == 1u);
  BOOST_TEST(b_states.count(TcpState::kClosing) == 1u);
  BOOST_TEST(a_states.count(TcpState::kTimeWait) == 1u);
  BOOST_TEST(b_states.count(TcpState::kTimeWait) == 1u);
  BOOST_TEST(pair.a.close_reason() == TcpCloseReason::kNormal);
  BOOST_TEST(pair.b.close_reason() == TcpCloseReason::kNormal);
}

BOOST_AUTO_TEST_CASE(abort_sends_a_rst_that_resets_the_peer) {
  TcpPair pair = open_pair();
  pair.b.send(pattern_bytes(3000, 4));
  pair.b.abort();
  BOOST_TEST(pair.b.state() == TcpState::kClosed);
  BOOST_TEST(pair.b.close_reason() == TcpCloseReason::kAborted);
  std::optional<Bytes> rst = pair.b.poll_transmit(pair.now);
  BOOST_TEST_REQUIRE(rst.has_value());
  TcpPacket p = parse_ok(*rst);
  BOOST_TEST(p.tcp.header.flags == (tcp_flag::kRst | tcp_flag::kAck));
  BOOST_TEST(p.tcp.header.seq == 5001u);
  BOOST_TEST(!pair.b.poll_transmit(pair.now).has_value());  // the data died with it
  pair.a.on_datagram(pair.now, *rst);
  BOOST_TEST(pair.a.state() == TcpState::kClosed);
  BOOST_TEST(pair.a.close_reason() == TcpCloseReason::kReset);
  BOOST_TEST(!pair.a.next_timeout().has_value());
}

BOOST_AUTO_TEST_CASE(a_rst_outside_the_window_is_ignored) {
  TcpPair pair = open_pair();
  pair.a.on_datagram(pair.now,
                     from_b(pair, seq_add(pair.a.rcv_nxt(), 10'000'000), 0, tcp_flag::kRst));
  pair.a.on_datagram(pair.now, from_b(pair, seq_add(pair.a.rcv_nxt(), -1), 0, tcp_flag::kRst));
  BOOST_TEST(pair.a.state() == TcpState::kEstablished);
  BOOST_TEST(pair.a.counters().rst_ignored == 2u);
  // Anywhere inside the window is accepted (ns-3 and RFC 793 alike).
  pair.a.on_datagram(pair.now, from_b(pair, seq_add(pair.a.rcv_nxt(), 5000), 0, tcp_flag::kRst));
  BOOST_TEST(pair.a.close_reason() == TcpCloseReason::kReset);
}

BOOST_AUTO_TEST_CASE(the_peer_window_bounds_what_is_outstanding) {
  // B offers 8 KiB unscaled and its application does not read for a while, so its window
  // closes to zero; then it reads and A must resume.
  TcpEndpointConfig small{.window_shift = 0, .receive_buffer_bytes = 8192};
  TcpPair pair = open_pair({}, small);
  Bytes data = pattern_bytes(200'000, 5);
  std::size_t offset = 0;
  Bytes got;
  bool reading = false;
  pair.set_app([&] {
    if (offset < data.size()) offset += pair.a.send(ByteView(data).subspan(offset));
    if (reading) {
      Bytes chunk = pair.b.read(pair.b.readable());
      got.insert(got.end(), chunk.begin(), chunk.end());
    }
  });
  // B's highest advertised right edge, and any A segment that would pass it.
  // Starts from the SYN-ACK's window, which A holds.
  std::uint32_t edge = seq_add(pair.a.snd_una(), pair.a.peer_window());
  BOOST_TEST(pair.a.peer_window() == 8192u);
  std::size_t violations = 0, data_segments = 0;
  pair.set_tap([&](PairSide from, const Bytes& d, Timestamp) {
    TcpPacket p = parse_ok(d);
    const TcpHeader& h = p.tcp.header;
    if (from == PairSide::kB && h.has(tcp_flag::kAck)) {
      std::uint32_t e = seq_add(h.ack, h.window);
      if (seq_gt(e, edge)) edge = e;
    } else if (from == PairSide::kA && !p.tcp.payload.empty()) {
      ++data_segments;
      // A lone byte past a zero window is a probe, which the RFC asks for.
      bool probe = p.tcp.payload.size() == 1;
      if (!probe && seq_gt(seq_add(h.seq, p.tcp.payload.size()), edge)) {
        ++violations;
        BOOST_TEST_MESSAGE("past the edge " << edge << ": " << h.seq << "+"
                                            << p.tcp.payload.size());
      }
    }
    return true;
  });
  pair.run_for(5s);
  BOOST_TEST(pair.b.readable() == 8192u);  // full; A is stalled
  BOOST_TEST(pair.a.peer_window() == 0u);
  BOOST_TEST(pair.a.bytes_in_flight() <= 1u);
  reading = true;
  Bytes first = pair.b.read(pair.b.readable());
  got.insert(got.end(), first.begin(), first.end());
  BOOST_TEST_REQUIRE(pair.drive([&] { return got.size() == data.size(); }, pair.now + 600s));
  BOOST_TEST((got == data));
  BOOST_TEST(data_segments > 100u);
  BOOST_TEST(violations == 0u);
}

BOOST_AUTO_TEST_CASE(hostile_segments_are_counted_and_change_nothing) {
  TcpPair pair = open_pair();
  TcpEndpoint& a = pair.a;
  std::uint32_t una = a.snd_una(), nxt = a.rcv_nxt();
  Bytes junk = pattern_bytes(100, 6);

  a.on_datagram(pair.now, from_b(pair, seq_add(nxt, 0x40000000), una, tcp_flag::kAck, junk));
  BOOST_TEST(a.counters().out_of_window == 1u);
  a.on_datagram(pair.now, from_b(pair, nxt, seq_add(una, 50'000), tcp_flag::kAck, junk));
  BOOST_TEST(a.counters().ack_of_unsent == 1u);
  BOOST_TEST(a.snd_una() == una);
  a.on_datagram(pair.now, from_b(pair, nxt, una, tcp_flag::kPsh, junk));  // no ACK flag
  BOOST_TEST(a.counters().ignored == 1u);
  a.on_datagram(pair.now, from_b(pair, seq_add(nxt, 77), una, tcp_flag::kSyn));
  a.on_datagram(pair.now, from_b(pair, nxt, seq_add(una, -0x60000000), tcp_flag::kAck, junk));
  BOOST_TEST(a.counters().old_acks == 1u);
  a.on_datagram(pair.now, junk);
  Bytes bad = from_b(pair, nxt, una, tcp_flag::kAck, junk);
  bad.back() ^= 0xFF;  // breaks the TCP checksum
  a.on_datagram(pair.now, bad);
  BOOST_TEST(a.counters().malformed == 2u);
  for (std::size_t cut = 0; cut < 60; ++cut)  // every truncation of a datagram
    a.on_datagram(pair.now, ByteView(from_b(pair, nxt, una, tcp_flag::kAck, junk)).first(cut));

  BOOST_TEST(a.state() == TcpState::kEstablished);
  BOOST_TEST(a.readable() == 0u);
  BOOST_TEST(a.rcv_nxt() == nxt);
  BOOST_TEST(a.snd_una() == una);
  // The connection still works.
  BulkTransfer t{.a_to_b = pattern_bytes(100'000, 7), .b_to_a = pattern_bytes(100'000, 8)};
  t.attach(pair);
  BOOST_TEST_REQUIRE(pair.drive([&] { return t.complete(); }, pair.now + 60s));
  BOOST_TEST((t.received_by_b == t.a_to_b));
  BOOST_TEST((t.received_by_a == t.b_to_a));
}

BOOST_AUTO_TEST_CASE(early_and_extra_timeouts_do_nothing) {
  TcpPair pair = open_pair();
  pair.a.send(pattern_bytes(1000, 9));
  std::optional<Bytes> segment = pair.a.poll_transmit(pair.now);
  BOOST_TEST_REQUIRE(segment.has_value());
  auto due = pair.a.next_timeout();
  BOOST_TEST_REQUIRE(due.has_value());
  BOOST_TEST((*due - pair.now).count() == Duration(1s).count());
  pair.a.on_timeout(*due - 1ms);
  pair.a.on_timeout(pair.now);
  BOOST_TEST(pair.a.counters().timeouts == 0u);
  BOOST_TEST(!pair.a.poll_transmit(pair.now).has_value());
  BOOST_TEST((pair.a.next_timeout() == due));
  pair.a.on_timeout(*due);
  BOOST_TEST(pair.a.counters().timeouts == 1u);
  pair.a.on_timeout(*due);  // extra: the timer is re-armed only when the segment goes again
  BOOST_TEST(pair.a.counters().timeouts == 1u);
  BOOST_TEST(pair.a.poll_transmit(*due).has_value());
  BOOST_TEST(pair.a.counters().retransmissions == 1u);
}

BOOST_AUTO_TEST_CASE(operations_before_start_or_after_close_are_harmless) {
  TcpEndpoint idle(client_addresses());
  BOOST_TEST(idle.send(as_bytes("x")) == 0u);
  BOOST_TEST(!idle.poll_transmit(Timestamp{}).has_value());
  BOOST_TEST(!idle.next_timeout().has_value());
  idle.on_timeout(Timestamp(1s));
  BOOST_TEST(idle.state() == TcpState::kIdle);
  TcpPair pair = open_pair();
  BOOST_TEST(!pair.a.connect(pair.now, {}));  // already started
  pair.a.abort();
  pair.a.abort();
  pair.a.close();
  BOOST_TEST(pair.a.close_reason() == TcpCloseReason::kAborted);
  pair.a.on_datagram(pair.now, from_b(pair, pair.a.rcv_nxt(), pair.a.snd_una(), tcp_flag::kAck));
  BOOST_TEST(pair.a.counters().ignored == 1u);
}
