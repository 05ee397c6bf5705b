// A seeded sweep: many short connections, each with its own loss (0-10%), latency, reordering,
// duplication and configuration (small windows, tiny reassembly caps, no timestamps, a 200 ms
// RTO floor). Every one must deliver both directions byte-identical and close normally.
#define BOOST_TEST_MODULE tcp_sweep
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "interceptor/tcp/tcp-endpoint.h"
#include "tests/support/tcp-pair.h"

using namespace mitmlab;
using namespace mitmlab::testing;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(three_hundred_seeded_connections_deliver_and_close) {
  int incomplete = 0, abnormal = 0, lossy = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    double loss = static_cast<double>(seed % 3) * 0.05;
    LinkPlan plan{.latency = std::chrono::milliseconds(1 + seed % 40),
                  .loss = loss,
                  .reorder = 0.1 * static_cast<double>(seed % 3),
                  .duplicate = 0.05 * static_cast<double>(seed % 2)};
    TcpEndpointConfig ca{}, cb{};
    if (seed % 4 == 1) cb.reassembly_cap_bytes = 2 * 1448;
    if (seed % 6 == 2) {
      cb.receive_buffer_bytes = 3000;
      cb.window_shift = 0;
    }
    if (seed % 7 == 3) {
      ca.timestamps = false;
      ca.sack = false;
    }
    if (seed % 8 == 5) ca.min_rto = cb.min_rto = 200ms;
    TcpEndpoint a(client_addresses(), ca), b(server_addresses(), cb);
    a.connect(Timestamp{}, {.isn = static_cast<std::uint32_t>(seed * 0x9E3779B9u)});
    TcpPair pair(std::move(a), std::move(b), seed, plan, plan,
                 TcpOpenOptions{.isn = static_cast<std::uint32_t>(~seed)});
    BulkTransfer t{.a_to_b = pattern_bytes(100'000 + seed * 997, seed),
                   .b_to_a = pattern_bytes(50'000 + seed * 13, seed + 7),
                   .close_after = true};
    t.attach(pair);
    bool closed =
        pair.drive([&] { return t.complete() && pair.a.is_closed() && pair.b.is_closed(); },
                   Timestamp(20000s));
    if (pair.dropped > 0) ++lossy;
    if (t.received_by_b != t.a_to_b || t.received_by_a != t.b_to_a) {
      ++incomplete;
      BOOST_TEST_MESSAGE("seed " << seed << ": incomplete, " << t.received_by_b.size() << "/"
                                 << t.a_to_b.size() << " and " << t.received_by_a.size() << "/"
                                 << t.b_to_a.size());
    } else if (!closed || pair.a.close_reason() != TcpCloseReason::kNormal ||
               pair.b.close_reason() != TcpCloseReason::kNormal) {
      ++abnormal;
      BOOST_TEST_MESSAGE("seed " << seed << ": A " << pair.a.state() << " ("
                                 << pair.a.close_reason() << "), B " << pair.b.state() << " ("
                                 << pair.b.close_reason() << ")");
    }
  }
  BOOST_TEST(incomplete == 0);
  BOOST_TEST(abnormal == 0);
  BOOST_TEST(lossy >= 190);  // two thirds of the seeds see loss
}
