#include "tests/support/fake-path.h"

#include <boost/test/unit_test.hpp>

#include "net/icmp-message.h"
#include "net/tcp-segment.h"

namespace mitmlab::test {

struct FakePath::Conn {
  std::string host;
  // raw mode: the server side of the TCP connection
  std::uint16_t client_port = 0;
  std::uint32_t snd_nxt = 0;
  std::uint32_t rcv_nxt = 0;
  std::unique_ptr<SniTestServer> server;
  // the injector's view of the connection: a trial TLS server fed what reaches it
  enum class Box { undecided, inject, pass } box_state = Box::undecided;
  std::unique_ptr<SniTestServer> box;
};

FakePath::FakePath(Ipv4Address client) : client_(client) {}
FakePath::~FakePath() = default;

void FakePath::schedule(Timestamp at, Event event) {
  events_.emplace(std::make_pair(at, event_seq_++), std::move(event));
}

void FakePath::inject(Timestamp at, Bytes ipv4) {
  schedule(at, [ipv4](Localizer& l, Timestamp now) { l.on_packet(now, ipv4); });
}

std::vector<TraceResult> FakePath::run(Localizer& localizer, Timestamp& now) {
  std::vector<TraceResult> results;
  localizer.start(now);
  for (int step = 0; step < 1000000; ++step) {
    while (auto action = localizer.poll_action()) perform(now, *action);
    for (auto& r : localizer.take_results()) results.push_back(std::move(r));
    auto timeout = localizer.next_timeout();
    if (!events_.empty() && (!timeout || events_.begin()->first.first <= *timeout)) {
      auto node = events_.extract(events_.begin());
      now = std::max(now, node.key().first);
      node.mapped()(localizer, now);
      continue;
    }
    if (timeout) {
      now = std::max(now, *timeout);
      localizer.on_timeout(now);
      continue;
    }
    BOOST_TEST_REQUIRE(localizer.done(), "the localizer stalled with nothing to wait for");
    return results;
  }
  BOOST_FAIL("the localizer never finished");
  return results;
}

void FakePath::perform(Timestamp now, const LocalizerAction& action) {
  if (const auto* raw = std::get_if<RawPacketAction>(&action)) {
    ++packets_sent;
    perform_raw(now, raw->ipv4);
  } else {
    perform_socket(now, action);
  }
}

Timestamp FakePath::icmp_time(const FakeHostPath& path, Timestamp now, unsigned distance) const {
  auto slow = path.slow_icmp.find(distance);
  return now + 2 * distance * hop_delay +
         (slow == path.slow_icmp.end() ? Duration{} : slow->second);
}

bool FakePath::icmp_from(FakeHostPath& path, unsigned distance) {
  const auto& router = path.routers.at(distance - 1);
  if (!router) return false;
  auto lose = path.lose_icmp.find(distance);
  if (lose != path.lose_icmp.end() && lose->second > 0) {
    --lose->second;
    return false;
  }
  return true;
}

Timestamp FakePath::injector_time(const FakeHostPath& path, Timestamp now) const {
  return now + 2 * path.injector->distance * hop_delay + path.injector->delay;
}

FakePath::Reach FakePath::walk(FakeHostPath& path, Conn& conn, unsigned ttl, ByteView payload) {
  const unsigned m = path.distance();
  bool injected = false;
  for (unsigned d = 1; d <= m; ++d) {
    if (path.injector && path.injector->distance == d && !payload.empty() &&
        conn.box_state != Conn::Box::pass) {
      if (!conn.box) conn.box = std::make_unique<SniTestServer>(path.injector->tls);
      if (conn.box_state == Conn::Box::undecided) {
        conn.box->feed(payload);
        if (const auto& sni = conn.box->seen_sni())
          conn.box_state = *sni == path.injector->sni ? Conn::Box::inject : Conn::Box::pass;
      }
      if (conn.box_state == Conn::Box::inject) {
        if (!path.injector->copies) return {Reach::injector, d};
        injected = true;
      }
    }
    if (d < m && ttl == d) return {Reach::router, d, injected};
  }
  return {Reach::server, m, injected};
}

namespace {

Bytes time_exceeded(Ipv4Address router, Ipv4Address client, ByteView original) {
  // RFC 792's quote (what ns-3 sends): the header and the first 8 bytes of the payload.
  IcmpTimeExceeded body;
  body.quoted.bytes = original.first(std::min<std::size_t>(original.size(), 28));
  Ipv4Header ip;
  ip.source = router;
  ip.destination = client;
  return build_icmp_packet(ip, body);
}

}  // namespace

void FakePath::deliver_raw(Timestamp at, Bytes packet) {
  schedule(at,
           [packet = std::move(packet)](Localizer& l, Timestamp now) { l.on_packet(now, packet); });
}

void FakePath::perform_raw(Timestamp now, const Bytes& datagram) {
  auto parsed = parse_tcp_packet(datagram);
  BOOST_TEST_REQUIRE(parsed.ok(), "the localizer sent a packet that does not parse");
  BOOST_TEST_REQUIRE(parsed->tcp.checksum_ok);
  BOOST_TEST_REQUIRE(parsed->ip.header.source == client_);
  const Ipv4Header& ip = parsed->ip.header;
  const TcpHeader& tcp = parsed->tcp.header;
  auto host_it = hosts.find(ip.destination.to_string());
  if (host_it == hosts.end()) return;
  FakeHostPath& path = host_it->second;
  if (path.dead) return;
  const unsigned m = path.distance();
  const Timestamp back_from_server = now + 2 * m * hop_delay;
  auto segment_to_client = [&](Conn& c, std::uint8_t flags, std::uint32_t seq, ByteView data) {
    return build_tcp_packet({.source = ip.destination,
                             .source_port = tcp.destination_port,
                             .destination = client_,
                             .destination_port = c.client_port,
                             .seq = seq,
                             .ack = c.rcv_nxt,
                             .flags = flags,
                             .window = 65535,
                             .payload = data});
  };
  auto send_stream = [&](Conn& c, Bytes out, Timestamp at) {
    for (std::size_t i = 0; i < out.size(); i += 1448) {
      std::size_t n = std::min<std::size_t>(1448, out.size() - i);
      deliver_raw(at, segment_to_client(c, tcp_flag::kAck | tcp_flag::kPsh, c.snd_nxt,
                                        ByteView(out).subspan(i, n)));
      c.snd_nxt += static_cast<std::uint32_t>(n);
    }
  };

  const std::uint64_t key = tcp.source_port;
  if (tcp.has(tcp_flag::kSyn)) {
    BOOST_TEST_REQUIRE(ip.ttl == 64u);
    if (path.lose_syns > 0) {
      --path.lose_syns;
      return;
    }
    auto conn = std::make_unique<Conn>();
    conn->host = host_it->first;
    conn->client_port = tcp.source_port;
    conn->rcv_nxt = tcp.seq + 1;
    if (path.refuse) {
      deliver_raw(back_from_server,
                  segment_to_client(*conn, tcp_flag::kRst | tcp_flag::kAck, 0, {}));
      return;
    }
    const std::uint32_t isn = 0x10000000u + tcp.source_port * 7919u;
    conn->snd_nxt = isn + 1;
    TcpPacketSpec syn_ack{.source = ip.destination,
                          .source_port = tcp.destination_port,
                          .destination = client_,
                          .destination_port = tcp.source_port,
                          .seq = isn,
                          .ack = conn->rcv_nxt,
                          .flags = tcp_flag::kSyn | tcp_flag::kAck,
                          .window = 65535,
                          .options = {TcpMss{1460}}};
    deliver_raw(back_from_server, build_tcp_packet(syn_ack));
    conns_[key] = std::move(conn);
    return;
  }
  auto it = conns_.find(key);
  if (it == conns_.end()) return;
  Conn& conn = *it->second;
  if (tcp.has(tcp_flag::kRst)) {
    conns_.erase(it);
    return;
  }
  ByteView payload = parsed->tcp.payload;
  if (payload.empty()) return;  // ACKs of what the server sent: nothing to do
  // The box's answer, a TLS flight or a RST (it resets both ends: false, `conn` is gone).
  auto box_answers = [&] {
    conn.rcv_nxt = tcp.seq + static_cast<std::uint32_t>(payload.size());
    const Timestamp at = injector_time(path, now);
    if (path.injector->reset) {
      deliver_raw(at, segment_to_client(conn, tcp_flag::kRst | tcp_flag::kAck, conn.snd_nxt, {}));
      conns_.erase(it);
      return false;
    }
    send_stream(conn, conn.box->take_output(), at);
    return true;
  };
  Reach reach = walk(path, conn, ip.ttl, payload);
  if (reach.kind == Reach::injector) {
    box_answers();
    return;
  }
  const bool connection_lives = !reach.injected || box_answers();
  switch (reach.kind) {
    case Reach::router:
      if (icmp_from(path, reach.distance))
        deliver_raw(icmp_time(path, now, reach.distance),
                    time_exceeded(*path.routers[reach.distance - 1], client_, datagram));
      return;
    case Reach::injector: return;  // handled above
    case Reach::server: {
      if (!path.answers_hellos || !connection_lives) return;
      if (conn.box_state == Conn::Box::inject) {  // a copying box answered this connection
        ++hellos_at_server;
        return;
      }
      if (tcp.seq != conn.rcv_nxt) {
        deliver_raw(back_from_server, segment_to_client(conn, tcp_flag::kAck, conn.snd_nxt, {}));
        return;
      }
      ++hellos_at_server;
      conn.rcv_nxt += static_cast<std::uint32_t>(payload.size());
      if (!conn.server) conn.server = std::make_unique<SniTestServer>(path.tls);
      conn.server->feed(payload);
      Bytes out = conn.server->take_output();
      if (out.empty())
        deliver_raw(back_from_server, segment_to_client(conn, tcp_flag::kAck, conn.snd_nxt, {}));
      send_stream(conn, std::move(out), back_from_server);
      return;
    }
  }
}

void FakePath::perform_socket(Timestamp now, const LocalizerAction& action) {
  // Reports about a connection the localizer has closed are not delivered (the kernel's
  // socket is gone), except a failed connect (reported once, and the socket released).
  auto to_live = [this](ConnId id, std::function<void(Localizer&, Timestamp)> f) {
    return [this, id, f = std::move(f)](Localizer& l, Timestamp t) {
      if (conns_.count(id)) f(l, t);
    };
  };
  if (const auto* c = std::get_if<ConnectAction>(&action)) {
    BOOST_TEST_REQUIRE(conns_.count(c->conn) == 0u, "connection id reused");
    auto host_it = hosts.find(c->address);
    BOOST_TEST_REQUIRE((host_it != hosts.end()));
    FakeHostPath& path = host_it->second;
    auto conn = std::make_unique<Conn>();
    conn->host = c->address;
    ConnId id = c->conn;
    conns_[id] = std::move(conn);
    if (path.dead) return;
    if (path.lose_syns > 0) {
      --path.lose_syns;
      return;
    }
    Timestamp at = now + 2 * path.distance() * hop_delay;
    if (path.slow_connects > 0) {
      --path.slow_connects;
      at += std::chrono::seconds(3);  // as after a retransmitted SYN
    }
    if (path.refuse) {
      schedule(at, [this, id](Localizer& l, Timestamp t) {
        conns_.erase(id);
        l.on_connect_failed(t, id, "refused");
      });
      return;
    }
    schedule(at, to_live(id, [id](Localizer& l, Timestamp t) { l.on_connected(t, id); }));
  } else if (const auto* s = std::get_if<SendAction>(&action)) {
    BOOST_TEST_REQUIRE(conns_.count(s->conn) == 1u, "send on an unknown connection");
    Conn& conn = *conns_.at(s->conn);
    FakeHostPath& path = hosts.at(conn.host);
    ConnId id = s->conn;
    Reach reach = walk(path, conn, s->ttl.value_or(64), s->bytes);
    if (reach.kind == Reach::injector || reach.injected) {
      const Timestamp at = injector_time(path, now);
      if (path.injector->reset) {
        schedule(at, to_live(id, [id](Localizer& l, Timestamp t) { l.on_reset(t, id); }));
      } else if (Bytes out = conn.box->take_output(); !out.empty()) {
        schedule(at, to_live(id, [id, out](Localizer& l, Timestamp t) { l.on_bytes(t, id, out); }));
      }
    }
    switch (reach.kind) {
      case Reach::router:
        if (icmp_from(path, reach.distance)) {
          IcmpReport report{*path.routers[reach.distance - 1], 11, 0};
          schedule(
              icmp_time(path, now, reach.distance),
              to_live(id, [id, report](Localizer& l, Timestamp t) { l.on_icmp(t, id, report); }));
        }
        return;
      case Reach::injector: return;  // answered above
      case Reach::server: {
        if (!path.answers_hellos) return;
        ++hellos_at_server;
        if (conn.box_state == Conn::Box::inject) return;  // a copying box answered instead
        if (!conn.server) conn.server = std::make_unique<SniTestServer>(path.tls);
        conn.server->feed(s->bytes);
        Bytes out = conn.server->take_output();
        if (!out.empty())
          schedule(now + 2 * reach.distance * hop_delay,
                   to_live(id, [id, out](Localizer& l, Timestamp t) { l.on_bytes(t, id, out); }));
        return;
      }
    }
  } else if (const auto* c = std::get_if<CloseAction>(&action)) {
    BOOST_TEST_REQUIRE(conns_.count(c->conn) == 1u, "close of an unknown connection");
    conns_.erase(c->conn);
  } else {
    BOOST_FAIL("unexpected action");
  }
}

}  // namespace mitmlab::test
