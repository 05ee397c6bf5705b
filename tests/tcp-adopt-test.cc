// Adoption: a handshake scripted by hand (as the interceptor's tracker would see it), then two
// endpoints adopt the client's and the server's sides and talk to each other. Every segment
// must continue the scripted sequence numbers and each side's timestamp clock exactly.
#define BOOST_TEST_MODULE tcp_adopt
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <optional>

#include "interceptor/tcp/sequence-number.h"
#include "interceptor/tcp/tcp-endpoint.h"
#include "net/tcp-segment.h"
#include "tests/support/tcp-pair.h"

using namespace mitmlab;
using namespace mitmlab::testing;
using namespace std::chrono_literals;

namespace {

struct Script {
  std::uint32_t client_isn;
  std::uint32_t server_isn;
  std::optional<std::uint16_t> client_mss;  // none: ns-3 sends no MSS option
  std::optional<std::uint16_t> server_mss;
  std::uint8_t client_shift;
  std::uint8_t server_shift;
  std::uint32_t client_tsval0;  // client TSval at 0 ms
  std::uint32_t server_tsval0;  // server TSval at 0 ms
};

// The handshake: SYN at 0 ms, SYN-ACK at 10 ms, ACK at 20 ms. Returns the three datagrams.
struct Handshake {
  Bytes syn, syn_ack, ack;
};

TcpOptions syn_options(std::optional<std::uint16_t> mss, std::uint8_t shift, std::uint32_t tsval,
                       std::uint32_t tsecr) {
  TcpOptions o;
  if (mss) o.push_back(TcpMss{*mss});
  o.push_back(TcpSackPermitted{});
  o.push_back(TcpTimestamps{tsval, tsecr});
  o.push_back(TcpNop{});
  o.push_back(TcpWindowScale{shift});
  return o;
}

Handshake script(const Script& s) {
  TcpAddressPair c = client_addresses();
  Handshake h;
  h.syn =
      build_tcp_packet({.source = c.local,
                        .source_port = c.local_port,
                        .destination = c.remote,
                        .destination_port = c.remote_port,
                        .seq = s.client_isn,
                        .flags = tcp_flag::kSyn,
                        .window = 65535,
                        .options = syn_options(s.client_mss, s.client_shift, s.client_tsval0, 0)});
  h.syn_ack = build_tcp_packet({.source = c.remote,
                                .source_port = c.remote_port,
                                .destination = c.local,
                                .destination_port = c.local_port,
                                .seq = s.server_isn,
                                .ack = s.client_isn + 1,
                                .flags = tcp_flag::kSyn | tcp_flag::kAck,
                                .window = 65535,
                                .options = syn_options(s.server_mss, s.server_shift,
                                                       s.server_tsval0 + 10, s.client_tsval0)});
  h.ack = build_tcp_packet(
      {.source = c.local,
       .source_port = c.local_port,
       .destination = c.remote,
       .destination_port = c.remote_port,
       .seq = s.client_isn + 1,
       .ack = s.server_isn + 1,
       .flags = tcp_flag::kAck,
       .window = 1000,
       .options = {TcpNop{}, TcpNop{}, TcpTimestamps{s.client_tsval0 + 20, s.server_tsval0 + 10}}});
  return h;
}

TcpPacket parse_ok(const Bytes& datagram) {
  auto p = parse_tcp_packet(datagram);
  BOOST_TEST_REQUIRE(p.ok());
  BOOST_TEST_REQUIRE(p->tcp.checksum_ok);
  return *p;
}

// What the interceptor's tracker derives from the three packets, for either side.
AdoptedState adopt_client_side(const Handshake& h) {
  TcpPacket syn = parse_ok(h.syn), syn_ack = parse_ok(h.syn_ack), ack = parse_ok(h.ack);
  TcpOptionSummary c = summarize_tcp_options(syn.tcp.header.options);
  TcpOptionSummary s = summarize_tcp_options(syn_ack.tcp.header.options);
  TcpOptionSummary a = summarize_tcp_options(ack.tcp.header.options);
  return {.snd_nxt = ack.tcp.header.seq,
          .snd_una = syn_ack.tcp.header.ack,
          .rcv_nxt = ack.tcp.header.ack,
          .peer_window = syn_ack.tcp.header.window,  // a SYN-ACK's window is not scaled
          .peer_window_shift = *s.window_scale,
          .our_window_shift = *c.window_scale,
          .peer_mss = s.mss,
          .sack_permitted = c.sack_permitted && s.sack_permitted,
          .timestamps = true,
          .clock = {a.timestamps->value, Timestamp(20ms)},
          .ts_recent = s.timestamps->value};
}

AdoptedState adopt_server_side(const Handshake& h) {
  TcpPacket syn = parse_ok(h.syn), syn_ack = parse_ok(h.syn_ack), ack = parse_ok(h.ack);
  TcpOptionSummary c = summarize_tcp_options(syn.tcp.header.options);
  TcpOptionSummary s = summarize_tcp_options(syn_ack.tcp.header.options);
  TcpOptionSummary a = summarize_tcp_options(ack.tcp.header.options);
  return {.snd_nxt = ack.tcp.header.ack,
          .snd_una = ack.tcp.header.ack,
          .rcv_nxt = ack.tcp.header.seq,
          .peer_window = std::size_t{ack.tcp.header.window} << *c.window_scale,
          .peer_window_shift = *c.window_scale,
          .our_window_shift = *s.window_scale,
          .peer_mss = c.mss,
          .sack_permitted = c.sack_permitted && s.sack_permitted,
          .timestamps = true,
          .clock = {s.timestamps->value, Timestamp(10ms)},
          .ts_recent = a.timestamps->value};
}

// Checks every segment one adopted side emits against the scripted spaces.
struct SideCheck {
  std::uint32_t first_seq;   // ISN + 1
  std::uint32_t tsval_at_0;  // the clock continued: TSval(t) = tsval_at_0 + ms(t)
  std::size_t bytes = 0;     // the side's payload in total
  std::size_t segments = 0, bad_seq = 0, bad_tsval = 0, max_payload = 0;
  std::uint32_t first_tsecr = 0;

  void see(const Bytes& datagram, Timestamp now) {
    auto p = parse_tcp_packet(datagram);
    BOOST_TEST_REQUIRE(p.ok());
    const TcpHeader& h = p->tcp.header;
    if (segments++ == 0) first_tsecr = find_tcp_option<TcpTimestamps>(h.options)->echo_reply;
    std::int32_t offset = seq_diff(h.seq, first_seq);
    if (offset < 0 || static_cast<std::size_t>(offset) + p->tcp.payload.size() > bytes + 1)
      ++bad_seq;
    auto ms = std::chrono::floor<std::chrono::milliseconds>(now).count();
    const auto* ts = find_tcp_option<TcpTimestamps>(h.options);
    if (!ts || ts->value != static_cast<std::uint32_t>(tsval_at_0 + ms)) ++bad_tsval;
    max_payload = std::max(max_payload, p->tcp.payload.size());
  }
};

void adopt_and_transfer(const Script& s, std::size_t expect_to_server_payload,
                        std::size_t expect_to_client_payload) {
  Handshake h = script(s);
  AdoptedState client_side = adopt_client_side(h);
  AdoptedState server_side = adopt_server_side(h);
  BOOST_TEST(client_side.snd_nxt == s.client_isn + 1);
  BOOST_TEST(server_side.snd_nxt == s.server_isn + 1);

  // A speaks as the client toward the server; B as the server toward the client.
  TcpEndpoint a(client_addresses()), b(server_addresses());
  Timestamp start(30ms);
  BOOST_TEST_REQUIRE(a.adopt(start, client_side));
  BOOST_TEST_REQUIRE(b.adopt(start, server_side));
  BOOST_TEST(!a.adopt(start, client_side));  // once only
  BOOST_TEST(a.segment_payload() == expect_to_server_payload);
  BOOST_TEST(b.segment_payload() == expect_to_client_payload);

  TcpPair pair(std::move(a), std::move(b), 7);
  pair.now = start;
  BulkTransfer t{.a_to_b = pattern_bytes(1 << 20, 11), .b_to_a = pattern_bytes(1 << 20, 12)};
  SideCheck from_a{
      .first_seq = s.client_isn + 1, .tsval_at_0 = s.client_tsval0, .bytes = t.a_to_b.size()};
  SideCheck from_b{
      .first_seq = s.server_isn + 1, .tsval_at_0 = s.server_tsval0, .bytes = t.b_to_a.size()};
  Bytes first_a_bytes;
  pair.set_tap([&](PairSide from, const Bytes& d, Timestamp now) {
    (from == PairSide::kA ? from_a : from_b).see(d, now);
    if (from == PairSide::kA && first_a_bytes.empty()) first_a_bytes = d;
    return true;
  });
  t.attach(pair);
  BOOST_TEST_REQUIRE(pair.drive([&] { return t.complete(); }, Timestamp(120s)));
  pair.run_for(200ms);
  BOOST_TEST((t.received_by_b == t.a_to_b));
  BOOST_TEST((t.received_by_a == t.b_to_a));

  TcpPacket first = parse_ok(first_a_bytes);
  BOOST_TEST(first.tcp.header.seq == s.client_isn + 1);
  BOOST_TEST(first.tcp.header.ack == s.server_isn + 1);
  BOOST_TEST(first.tcp.payload.size() > 0u);
  // 256 KiB of free buffer at the client's shift, clamped to the field.
  BOOST_TEST(first.tcp.header.window ==
             std::min<std::size_t>((256u * 1024) >> s.client_shift, 65535));
  BOOST_TEST(from_a.first_tsecr == s.server_tsval0 + 10);  // the server's last TSval
  BOOST_TEST(from_b.first_tsecr == s.client_tsval0 + 20);  // the client's last TSval
  BOOST_TEST(from_a.segments > 700u);
  BOOST_TEST(from_b.segments > 700u);
  BOOST_TEST(from_a.bad_seq == 0u);
  BOOST_TEST(from_b.bad_seq == 0u);
  BOOST_TEST(from_a.bad_tsval == 0u);
  BOOST_TEST(from_b.bad_tsval == 0u);
  BOOST_TEST(from_a.max_payload == expect_to_server_payload);
  BOOST_TEST(from_b.max_payload == expect_to_client_payload);
  // Both ends are where the scripted spaces say, wrapped as needed.
  BOOST_TEST(pair.a.snd_una() == seq_add(s.client_isn + 1, 1 << 20));
  BOOST_TEST(pair.b.snd_una() == seq_add(s.server_isn + 1, 1 << 20));
  BOOST_TEST(pair.a.rcv_nxt() == seq_add(s.server_isn + 1, 1 << 20));
  BOOST_TEST(pair.a.counters().retransmissions == 0u);
}

}  // namespace

BOOST_AUTO_TEST_CASE(adopts_ns3_style_sides_from_isn_zero) {
  // ns-3: ISN 0, no MSS option (1448-byte segments), shift 2, TSval = simulated ms.
  adopt_and_transfer({.client_isn = 0,
                      .server_isn = 0,
                      .client_mss = std::nullopt,
                      .server_mss = std::nullopt,
                      .client_shift = 2,
                      .server_shift = 2,
                      .client_tsval0 = 0,
                      .server_tsval0 = 0},
                     1448, 1448);
}

BOOST_AUTO_TEST_CASE(adopts_sides_whose_sequence_numbers_wrap) {
  // Both ISNs just below 2^32, so both directions wrap within the first kilobytes; Linux-like
  // MSS options (one smaller) and unequal shifts; TSval clocks near their own wrap.
  adopt_and_transfer({.client_isn = 0xFFFFFF00u,
                      .server_isn = 0xFFFFF000u,
                      .client_mss = 1400,
                      .server_mss = 1460,
                      .client_shift = 7,
                      .server_shift = 9,
                      .client_tsval0 = 0xFFFFFFF0u,
                      .server_tsval0 = 123456789u},
                     1448, 1388);
}

BOOST_AUTO_TEST_CASE(adopt_takes_an_rtt_hint_and_the_configured_floor) {
  TcpEndpointConfig config{.min_rto = 200ms};
  TcpEndpoint e(client_addresses(), config);
  e.adopt(Timestamp{}, {.snd_nxt = 1, .snd_una = 1, .rcv_nxt = 1, .rtt_hint = 100ms});
  BOOST_TEST(e.rto().count() == Duration(300ms).count());  // 100 + 4 * 50
  TcpEndpoint f(client_addresses());
  f.adopt(Timestamp{}, {.snd_nxt = 1, .snd_una = 1, .rcv_nxt = 1, .rtt_hint = 100ms});
  BOOST_TEST(f.rto().count() == Duration(1s).count());  // the default 1 s floor
}

BOOST_AUTO_TEST_CASE(adopted_side_answers_a_repeated_client_hello_with_a_plain_ack) {
  // The client's first data was acknowledged by adoption (rcv_nxt past it); its retransmission
  // is a duplicate and gets our ACK, not a second delivery.
  TcpEndpoint b(server_addresses());
  // Server space: next 9001. Client space: the hello was 501..1101.
  b.adopt(Timestamp(1s), {.snd_nxt = 9001, .snd_una = 9001, .rcv_nxt = 1101, .peer_window = 65535});
  TcpAddressPair c = client_addresses();
  Bytes hello = pattern_bytes(600, 13);
  b.on_datagram(Timestamp(2s), build_tcp_packet({.source = c.local,
                                                 .source_port = c.local_port,
                                                 .destination = c.remote,
                                                 .destination_port = c.remote_port,
                                                 .seq = 501,
                                                 .ack = 9001,
                                                 .flags = tcp_flag::kAck | tcp_flag::kPsh,
                                                 .window = 1000,
                                                 .payload = hello}));
  BOOST_TEST(b.counters().duplicates == 1u);
  BOOST_TEST(b.readable() == 0u);
  std::optional<Bytes> ack = b.poll_transmit(Timestamp(2s));
  BOOST_TEST_REQUIRE(ack.has_value());
  TcpPacket p = parse_ok(*ack);
  BOOST_TEST(p.tcp.header.seq == 9001u);
  BOOST_TEST(p.tcp.header.ack == 1101u);
  BOOST_TEST(p.tcp.header.options.empty());  // timestamps were not negotiated
  BOOST_TEST(!b.poll_transmit(Timestamp(2s)).has_value());
}
