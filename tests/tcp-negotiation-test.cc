// TcpEndpoint with options switched off or missing, and the persist timer: what a peer other
// than a twin of ourselves may do.
#define BOOST_TEST_MODULE tcp_negotiation
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "interceptor/tcp/sequence-number.h"
#include "interceptor/tcp/tcp-endpoint.h"
#include "net/tcp-segment.h"
#include "tests/support/tcp-pair.h"

using namespace mitmlab;
using namespace mitmlab::testing;
using namespace std::chrono_literals;

namespace {

TcpPair open_pair(TcpEndpointConfig a_config, TcpEndpointConfig b_config, LinkPlan plan = {}) {
  TcpEndpoint a(client_addresses(), a_config);
  TcpEndpoint b(server_addresses(), b_config);
  BOOST_TEST_REQUIRE(a.connect(Timestamp{}, {.isn = 42}));
  TcpPair pair(std::move(a), std::move(b), 3, plan, plan, TcpOpenOptions{.isn = 0});
  BOOST_TEST_REQUIRE(pair.drive(
      [&] {
        return pair.a.state() == TcpState::kEstablished && pair.b.state() == TcpState::kEstablished;
      },
      Timestamp(200s)));
  return pair;
}

TcpPacket parse_ok(const Bytes& datagram) {
  auto p = parse_tcp_packet(datagram);
  BOOST_TEST_REQUIRE(p.ok());
  return *p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(without_timestamps_sack_or_scaling_karn_times_the_transfer) {
  // A offers nothing; B (offering everything) must agree to nothing.
  TcpEndpointConfig plain{.window_scaling = false, .timestamps = false, .sack = false};
  LinkPlan plan{.latency = 25ms, .loss = 0.02};
  TcpPair pair = open_pair(plain, {}, plan);
  std::size_t with_options = 0, segments = 0;
  pair.set_tap([&](PairSide, const Bytes& d, Timestamp) {
    ++segments;
    if (!parse_ok(d).tcp.header.options.empty()) ++with_options;
    return true;
  });
  BulkTransfer t{.a_to_b = pattern_bytes(300'000, 1), .b_to_a = pattern_bytes(300'000, 2)};
  t.attach(pair);
  BOOST_TEST_REQUIRE(pair.drive([&] { return t.complete(); }, Timestamp(3600s)));
  BOOST_TEST((t.received_by_b == t.a_to_b));
  BOOST_TEST((t.received_by_a == t.b_to_a));
  BOOST_TEST(segments > 400u);
  BOOST_TEST(with_options == 0u);
  BOOST_TEST(pair.a.counters().retransmissions > 0u);
  // Unscaled: B's 256 KiB buffer shows as at most 65535.
  BOOST_TEST(pair.a.peer_window() <= 65535u);
  // Karn's samples (RTT 50 ms) keep the RTO at its 1 s floor, not backed off.
  BOOST_TEST(pair.a.rto().count() == Duration(1s).count());
}

BOOST_AUTO_TEST_CASE(segments_without_timestamps_are_accepted_once_negotiated) {
  TcpPair pair = open_pair({}, {});
  const TcpAddressPair& s = pair.b.addresses();
  Bytes data = pattern_bytes(500, 3);
  pair.a.on_datagram(pair.now, build_tcp_packet({.source = s.local,
                                                 .source_port = s.local_port,
                                                 .destination = s.remote,
                                                 .destination_port = s.remote_port,
                                                 .seq = pair.a.rcv_nxt(),
                                                 .ack = pair.a.snd_una(),
                                                 .flags = tcp_flag::kAck,
                                                 .window = 100,
                                                 .payload = data}));
  BOOST_TEST(pair.a.readable() == 500u);
  BOOST_TEST((pair.a.read(1000) == data));
  std::optional<Bytes> ack = pair.a.poll_transmit(pair.now);
  BOOST_TEST_REQUIRE(ack.has_value());
  // Our answer still carries timestamps, echoing the last TSval we had.
  TcpPacket p = parse_ok(*ack);
  BOOST_TEST(p.tcp.header.ack == seq_add(1, 500));
  BOOST_TEST(find_tcp_option<TcpTimestamps>(p.tcp.header.options) != nullptr);
}

BOOST_AUTO_TEST_CASE(a_lost_window_update_is_recovered_by_zero_window_probes) {
  TcpEndpointConfig small{.window_shift = 0, .receive_buffer_bytes = 4096};
  TcpPair pair = open_pair({}, small);
  Bytes data = pattern_bytes(20'000, 4);
  std::size_t offset = 0;
  pair.set_app([&] {
    if (offset < data.size()) offset += pair.a.send(ByteView(data).subspan(offset));
  });
  pair.run_for(3s);
  BOOST_TEST(pair.a.peer_window() == 0u);
  BOOST_TEST(pair.b.readable() == 4096u);
  // B reads, and the window update it sends is lost: only A's probes can find out.
  int lost = 0;
  pair.set_tap([&](PairSide from, const Bytes&, Timestamp) {
    if (from == PairSide::kB && lost == 0) return !(++lost);
    return true;
  });
  Bytes got = pair.b.read(4096);
  std::uint64_t probes_before = pair.a.counters().window_probes;
  pair.set_app([&] {
    if (offset < data.size()) offset += pair.a.send(ByteView(data).subspan(offset));
    Bytes chunk = pair.b.read(pair.b.readable());
    got.insert(got.end(), chunk.begin(), chunk.end());
  });
  BOOST_TEST_REQUIRE(pair.drive([&] { return got.size() == data.size(); }, pair.now + 600s));
  BOOST_TEST(lost == 1);
  BOOST_TEST((got == data));
  BOOST_TEST(pair.a.counters().window_probes > probes_before);
  BOOST_TEST(pair.a.state() == TcpState::kEstablished);
}

BOOST_AUTO_TEST_CASE(probing_a_window_that_stays_shut_never_gives_up) {
  TcpEndpointConfig small{.window_shift = 0, .receive_buffer_bytes = 2048};
  TcpPair pair = open_pair({}, small);
  pair.a.send(pattern_bytes(10'000, 5));
  pair.run_for(1000s);  // B never reads but answers every probe
  BOOST_TEST(pair.a.state() == TcpState::kEstablished);
  BOOST_TEST(pair.a.counters().window_probes > 6u);
  BOOST_TEST(pair.b.readable() == 2048u);
}

BOOST_AUTO_TEST_CASE(a_check_connection_to_a_closed_port_is_reset) {
  // A server with nothing listening answers the SYN with RST|ACK acknowledging it; a RST that
  // acknowledges anything else is not for this SYN.
  TcpAddressPair us = client_addresses();
  TcpEndpoint e(us);
  e.connect(Timestamp{}, {.isn = 0xFFFFFFFFu});  // the SYN takes the last number, data wraps to 0
  std::optional<Bytes> syn = e.poll_transmit(Timestamp{});
  BOOST_TEST_REQUIRE(syn.has_value());
  BOOST_TEST(parse_ok(*syn).tcp.header.seq == 0xFFFFFFFFu);
  auto rst = [&](std::uint32_t ack) {
    return build_tcp_packet({.source = us.remote,
                             .source_port = us.remote_port,
                             .destination = us.local,
                             .destination_port = us.local_port,
                             .seq = 0,
                             .ack = ack,
                             .flags = tcp_flag::kRst | tcp_flag::kAck});
  };
  e.on_datagram(Timestamp(10ms), rst(12345));
  BOOST_TEST(e.state() == TcpState::kSynSent);
  BOOST_TEST(e.counters().rst_ignored == 1u);
  e.on_datagram(Timestamp(10ms), rst(0));  // ISN + 1, wrapped
  BOOST_TEST(e.state() == TcpState::kClosed);
  BOOST_TEST(e.close_reason() == TcpCloseReason::kReset);
  BOOST_TEST(!e.poll_transmit(Timestamp(10ms)).has_value());
  BOOST_TEST(!e.next_timeout().has_value());
}
