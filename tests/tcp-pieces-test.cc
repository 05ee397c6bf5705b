// The pieces under TcpEndpoint: sequence arithmetic, the reassembly buffer, the byte queue,
// the RTO estimator and the timestamp clock.
#define BOOST_TEST_MODULE tcp_pieces
#include <boost/test/unit_test.hpp>
#include <chrono>

#include "interceptor/tcp/byte-queue.h"
#include "interceptor/tcp/reassembly-buffer.h"
#include "interceptor/tcp/rtt-estimator.h"
#include "interceptor/tcp/sequence-number.h"
#include "interceptor/tcp/tcp-timestamp-clock.h"

using namespace mitmlab;
using namespace std::chrono_literals;

namespace {
Bytes bytes_of(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(sequence_comparisons_hold_across_the_wrap) {
  BOOST_TEST(seq_lt(1u, 2u));
  BOOST_TEST(!seq_lt(2u, 1u));
  BOOST_TEST(!seq_lt(5u, 5u));
  BOOST_TEST(seq_leq(5u, 5u));
  BOOST_TEST(seq_lt(0xFFFFFF00u, 0x10u));  // 0x10 is 0x110 after 0xFFFFFF00
  BOOST_TEST(seq_gt(0x10u, 0xFFFFFF00u));
  BOOST_TEST(seq_diff(0x10u, 0xFFFFFF00u) == 0x110);
  BOOST_TEST(seq_diff(0xFFFFFF00u, 0x10u) == -0x110);
  BOOST_TEST(seq_add(0xFFFFFFFFu, 1) == 0u);
  BOOST_TEST(seq_add(5u, static_cast<std::uint64_t>(-6)) == 0xFFFFFFFFu);
  BOOST_TEST(seq_max(0xFFFFFFF0u, 3u) == 3u);
  BOOST_TEST(seq_min(0xFFFFFFF0u, 3u) == 0xFFFFFFF0u);
  BOOST_TEST(seq_in_range(0u, 0xFFFFFFFFu, 1u));
  BOOST_TEST(!seq_in_range(1u, 0xFFFFFFFFu, 1u));
  BOOST_TEST(!seq_in_range(7u, 7u, 7u));
}

BOOST_AUTO_TEST_CASE(byte_queue_views_consumes_and_compacts) {
  ByteQueue q;
  Bytes big(40000, 7);
  q.append(big);
  q.append(bytes_of({1, 2, 3}));
  q.consume(39999);
  BOOST_TEST(q.size() == 4u);
  ByteView v = q.view(1, 10);
  BOOST_TEST(v.size() == 3u);
  BOOST_TEST(v[0] == 1);
  BOOST_TEST(q.view(4, 1).empty());
  BOOST_TEST((q.take(2) == bytes_of({7, 1})));
  BOOST_TEST((q.take(100) == bytes_of({2, 3})));
  BOOST_TEST(q.empty());
}

BOOST_AUTO_TEST_CASE(reassembly_keeps_only_new_bytes_and_pops_contiguous_runs) {
  ReassemblyBuffer r(100);
  using Insert = ReassemblyBuffer::Insert;
  BOOST_TEST((r.insert(0, 10, bytes_of({10, 11, 12})) == Insert::kStored));
  BOOST_TEST((r.insert(0, 20, bytes_of({20, 21})) == Insert::kStored));
  BOOST_TEST((r.insert(0, 11, bytes_of({11, 12})) == Insert::kDuplicate));
  // Overlaps both ends of the first piece and fills the gap to the second.
  BOOST_TEST((r.insert(0, 8, bytes_of({8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})) ==
              Insert::kStored));
  BOOST_TEST(r.bytes() == 14u);  // 8..21
  auto ranges = r.ranges();
  BOOST_TEST_REQUIRE(ranges.size() == 1u);
  BOOST_TEST(ranges[0].begin == 8u);
  BOOST_TEST(ranges[0].end == 22u);
  BOOST_TEST(r.pop_contiguous(5).empty());  // a gap before 8
  Bytes run = r.pop_contiguous(9);          // from inside the held run
  BOOST_TEST(run.size() == 13u);
  BOOST_TEST(run.front() == 9);
  BOOST_TEST(run.back() == 21);
  BOOST_TEST(r.empty());
  BOOST_TEST(r.bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(reassembly_refuses_what_would_pass_the_cap_and_ignores_delivered_bytes) {
  ReassemblyBuffer r(4);
  using Insert = ReassemblyBuffer::Insert;
  BOOST_TEST((r.insert(0, 10, bytes_of({1, 2, 3})) == Insert::kStored));
  BOOST_TEST((r.insert(0, 20, bytes_of({1, 2})) == Insert::kOverCap));
  BOOST_TEST(r.bytes() == 3u);
  BOOST_TEST((r.insert(0, 13, bytes_of({4})) == Insert::kStored));
  BOOST_TEST((r.insert(50, 40, bytes_of({1, 2, 3})) == Insert::kDuplicate));  // below the floor
  BOOST_TEST(r.ranges().size() == 1u);
}

BOOST_AUTO_TEST_CASE(rto_follows_rfc6298_with_a_floor_and_backs_off_to_a_ceiling) {
  RttEstimator e({1s, 200ms, 60s});
  BOOST_TEST(e.rto().count() == Duration(1s).count());
  e.on_sample(100ms);  // SRTT 100, RTTVAR 50: 100 + 4*50
  BOOST_TEST(e.srtt()->count() == Duration(100ms).count());
  BOOST_TEST(e.rto().count() == Duration(300ms).count());
  e.on_sample(100ms);  // RTTVAR 3/4*50 = 37.5 ms: 100 + 150
  BOOST_TEST(e.rto().count() == Duration(250ms).count());
  for (int i = 0; i < 50; ++i) e.on_sample(10ms);
  BOOST_TEST(e.rto().count() == Duration(200ms).count());  // the floor
  e.back_off();
  BOOST_TEST(e.rto().count() == Duration(400ms).count());
  for (int i = 0; i < 20; ++i) e.back_off();
  BOOST_TEST(e.rto().count() == Duration(60s).count());  // the ceiling
  e.on_sample(10ms);                                     // a sample ends the backoff
  BOOST_TEST(e.rto().count() == Duration(200ms).count());
}

BOOST_AUTO_TEST_CASE(timestamp_clock_counts_whole_milliseconds_and_wraps) {
  TcpTimestampClock c{0xFFFFFFFEu, Timestamp(10ms)};
  BOOST_TEST(c.at(Timestamp(10ms)) == 0xFFFFFFFEu);
  BOOST_TEST(c.at(Timestamp(10ms) + 999us) == 0xFFFFFFFEu);
  BOOST_TEST(c.at(Timestamp(11ms)) == 0xFFFFFFFFu);
  BOOST_TEST(c.at(Timestamp(12500us)) == 0u);
  BOOST_TEST(c.at(Timestamp(10ms + 5s)) == 5000u - 2u);
}
