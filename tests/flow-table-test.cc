#define BOOST_TEST_MODULE flow_table
#include <boost/test/unit_test.hpp>

#include <map>
#include <random>
#include <vector>

#include "interceptor/flow-table.h"

using namespace mitmlab;
using namespace std::chrono_literals;

namespace {

struct TestFlow {
  int id = 0;
  bool established = false;
};

// The engine's rule, in miniature: short idle while in the handshake, long once established.
Duration idle_for(const TestFlow& f) { return f.established ? Duration(300s) : Duration(30s); }

using Table = FlowTable<TestFlow>;

constexpr std::uint32_t kClient = 0x0a000002;  // 10.0.0.2
constexpr std::uint32_t kServer = 0x5db8d822;  // 93.184.216.34

FlowKey key(std::uint16_t client_port) { return {kClient, client_port, kServer, 443}; }

std::vector<int> ids(const std::vector<Table::Removed>& removed) {
  std::vector<int> out;
  for (const auto& r : removed) out.push_back(r.state.id);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(finds_a_flow_from_either_direction) {
  Table table(16, idle_for);
  auto inserted = table.insert(key(40000), {1, false}, 0ns);
  BOOST_REQUIRE((inserted.outcome == InsertOutcome::kInserted));
  BOOST_REQUIRE(inserted.state != nullptr);

  auto forward = table.lookup(kClient, 40000, kServer, 443);
  BOOST_REQUIRE(forward.has_value());
  BOOST_TEST((forward->direction == FlowDirection::kClientToServer));
  BOOST_TEST((forward->key == key(40000)));
  BOOST_TEST(forward->state == inserted.state);

  auto backward = table.lookup(kServer, 443, kClient, 40000);
  BOOST_REQUIRE(backward.has_value());
  BOOST_TEST((backward->direction == FlowDirection::kServerToClient));
  BOOST_TEST((backward->key == key(40000)));
  BOOST_TEST(backward->state == inserted.state);
  BOOST_TEST(backward->state->id == 1);

  BOOST_TEST(!table.lookup(kClient, 40001, kServer, 443).has_value());
  BOOST_TEST(!table.lookup(kServer, 443, kClient, 40001).has_value());
  BOOST_TEST(!table.lookup(kClient, 40000, kServer + 1, 443).has_value());
  BOOST_TEST(table.find(key(40000).reversed()) == nullptr);
  BOOST_TEST(direction_name(FlowDirection::kServerToClient) == "server_to_client");
}

BOOST_AUTO_TEST_CASE(refuses_a_key_or_its_reverse_twice) {
  Table table(16, idle_for);
  BOOST_TEST((table.insert(key(40000), {1}, 0ns).outcome == InsertOutcome::kInserted));
  auto again = table.insert(key(40000), {2}, 1s);
  BOOST_TEST((again.outcome == InsertOutcome::kExists));
  BOOST_TEST(again.state == nullptr);
  BOOST_TEST((table.insert(key(40000).reversed(), {3}, 1s).outcome == InsertOutcome::kExists));
  BOOST_TEST(table.size() == 1u);
  BOOST_TEST(table.find(key(40000))->id == 1);
}

BOOST_AUTO_TEST_CASE(a_full_table_refuses_new_flows) {
  Table table(3, idle_for);
  for (std::uint16_t p = 1; p <= 3; ++p) {
    BOOST_TEST((table.insert(key(p), {p}, 0ns).outcome == InsertOutcome::kInserted));
  }
  auto refused = table.insert(key(4), {4}, 0ns);
  BOOST_TEST((refused.outcome == InsertOutcome::kFull));
  BOOST_TEST(refused.state == nullptr);
  BOOST_TEST(table.size() == 3u);
  BOOST_TEST(table.find(key(4)) == nullptr);
  BOOST_TEST(insert_outcome_name(refused.outcome) == "full");

  auto erased = table.erase(key(2));
  BOOST_REQUIRE(erased.has_value());
  BOOST_TEST(erased->id == 2);
  BOOST_TEST((table.insert(key(4), {4}, 0ns).outcome == InsertOutcome::kInserted));
  BOOST_TEST(table.size() == 3u);
}

BOOST_AUTO_TEST_CASE(expires_in_deadline_order) {
  Table table(16, idle_for);
  BOOST_TEST(!table.next_expiry().has_value());
  (void)table.insert(key(1), {1, false}, 0s);   // deadline 30 s
  (void)table.insert(key(2), {2, false}, 10s);  // deadline 40 s
  (void)table.insert(key(3), {3, true}, 5s);    // deadline 305 s
  BOOST_TEST((table.next_expiry() == 30s));

  BOOST_TEST(table.touch(key(1), 20s));  // deadline 50 s
  BOOST_TEST((table.last_activity(key(1)) == 20s));
  BOOST_TEST((table.deadline(key(1)) == 50s));
  BOOST_TEST((table.next_expiry() == 40s));

  BOOST_TEST(table.expire(40s - 1ns).empty());
  BOOST_TEST(table.size() == 3u);
  auto first = table.expire(40s);
  BOOST_TEST(ids(first) == std::vector<int>{2});
  BOOST_TEST((first[0].key == key(2)));
  BOOST_TEST((first[0].last_activity == 10s));
  BOOST_TEST((table.next_expiry() == 50s));

  auto rest = table.expire(1000s);
  BOOST_TEST(ids(rest) == (std::vector<int>{1, 3}));
  BOOST_TEST(table.empty());
  BOOST_TEST(!table.next_expiry().has_value());
  BOOST_TEST(table.expire(2000s).empty());
}

BOOST_AUTO_TEST_CASE(a_change_of_state_moves_the_deadline_both_ways) {
  Table table(16, idle_for);
  auto inserted = table.insert(key(1), {1, false}, 0s);
  (void)table.insert(key(2), {2, false}, 10s);
  BOOST_TEST((table.next_expiry() == 30s));

  // Established: 300 s of idle allowed from the last activity.
  inserted.state->established = true;
  BOOST_TEST(table.touch(key(1), 1s));
  BOOST_TEST((table.deadline(key(1)) == 301s));
  BOOST_TEST((table.next_expiry() == 40s));  // key 2 is now first

  // Back to a short timeout without new activity: the deadline moves earlier at once.
  inserted.state->established = false;
  BOOST_TEST(table.refresh(key(1)));
  BOOST_TEST((table.deadline(key(1)) == 31s));
  BOOST_TEST((table.next_expiry() == 31s));
  BOOST_TEST(ids(table.expire(31s)) == std::vector<int>{1});
  BOOST_TEST(!table.touch(key(1), 32s));
  BOOST_TEST(!table.refresh(key(1)));
}

BOOST_AUTO_TEST_CASE(activity_never_moves_backwards) {
  Table table(16, idle_for);
  (void)table.insert(key(1), {1}, 10s);
  BOOST_TEST(table.touch(key(1), 5s));  // a late-delivered, older timestamp
  BOOST_TEST((table.last_activity(key(1)) == 10s));
  BOOST_TEST((table.next_expiry() == 40s));
}

BOOST_AUTO_TEST_CASE(erase_keeps_next_expiry_exact) {
  Table table(16, idle_for);
  (void)table.insert(key(1), {1}, 0s);
  (void)table.insert(key(2), {2}, 5s);
  BOOST_TEST((table.next_expiry() == 30s));
  auto erased = table.erase(key(1));
  BOOST_REQUIRE(erased.has_value());
  BOOST_TEST(erased->id == 1);
  BOOST_TEST((table.next_expiry() == 35s));  // not the erased flow's stale 30 s
  BOOST_TEST(!table.erase(key(1)).has_value());
  BOOST_TEST(table.find(key(1)) == nullptr);
  BOOST_TEST(!table.lookup(kServer, 443, kClient, 1).has_value());
  // The same 4-tuple may come back as a new flow with its own deadline.
  (void)table.insert(key(1), {11}, 20s);
  BOOST_TEST((table.next_expiry() == 35s));
  BOOST_TEST(ids(table.expire(50s)) == (std::vector<int>{2, 11}));
}

BOOST_AUTO_TEST_CASE(evicts_the_flow_closest_to_expiry) {
  Table table(2, idle_for);
  BOOST_TEST(!table.evict_soonest().has_value());
  (void)table.insert(key(1), {1, true}, 0s);  // 300 s
  (void)table.insert(key(2), {2, false}, 1s);  // 31 s
  auto evicted = table.evict_soonest();
  BOOST_REQUIRE(evicted.has_value());
  BOOST_TEST(evicted->state.id == 2);
  BOOST_TEST((table.insert(key(3), {3}, 2s).outcome == InsertOutcome::kInserted));
  BOOST_TEST((table.next_expiry() == 32s));
}

// A long random run checked against a plain model: the table's size and heap stay within
// their bounds, next_expiry() is always the model's earliest deadline, and expire()
// returns exactly the flows the model says are due.
BOOST_AUTO_TEST_CASE(stays_bounded_and_exact_over_100000_operations) {
  constexpr std::size_t kMax = 256;
  Table table(kMax, idle_for, /*hash_seed=*/7);
  std::map<std::uint16_t, Timestamp> model;  // client port → deadline
  std::map<std::uint16_t, bool> established;
  std::mt19937_64 rng(2019);  // the engine's output is specified, so is this generator
  Timestamp now = 0ns;
  std::size_t inserts = 0, full = 0, max_heap = 0;

  for (int step = 0; step < 100000; ++step) {
    now += Duration(rng() % 200'000'000);  // up to 0.2 s between operations
    const auto port = static_cast<std::uint16_t>(1 + rng() % 2000);
    const unsigned action = rng() % 10;
    if (action < 5) {
      const bool est = rng() % 2 == 0;
      auto r = table.insert(key(port), {port, est}, now);
      if (model.contains(port)) {
        BOOST_TEST_REQUIRE((r.outcome == InsertOutcome::kExists));
      } else if (model.size() >= kMax) {
        BOOST_TEST_REQUIRE((r.outcome == InsertOutcome::kFull));
        ++full;
      } else {
        BOOST_TEST_REQUIRE((r.outcome == InsertOutcome::kInserted));
        model[port] = now + (est ? Duration(300s) : Duration(30s));
        established[port] = est;
        ++inserts;
      }
    } else if (action < 8) {
      if (TestFlow* f = table.find(key(port))) {
        f->established = !f->established;  // both directions of deadline change
        established[port] = f->established;
        BOOST_TEST_REQUIRE(table.touch(key(port), now));
        model[port] = now + (f->established ? Duration(300s) : Duration(30s));
      }
    } else if (action < 9) {
      BOOST_TEST_REQUIRE(table.erase(key(port)).has_value() == model.contains(port));
      model.erase(port);
    } else {
      std::vector<int> due;
      for (const auto& [p, d] : model) {
        if (d <= now) due.push_back(p);
      }
      auto removed = table.expire(now);
      std::vector<int> got = ids(removed);
      std::sort(got.begin(), got.end());
      BOOST_TEST_REQUIRE(got == due);
      for (std::size_t i = 1; i < removed.size(); ++i) {
        BOOST_TEST_REQUIRE((model[removed[i - 1].key.client_port] <= model[removed[i].key.client_port]));
      }
      for (int p : due) model.erase(static_cast<std::uint16_t>(p));
    }
    BOOST_TEST_REQUIRE(table.size() == model.size());
    BOOST_TEST_REQUIRE(table.size() <= kMax);
    BOOST_TEST_REQUIRE(table.queued_deadlines() <= 2 * kMax + 16);
    max_heap = std::max(max_heap, table.queued_deadlines());
    std::optional<Timestamp> earliest;
    for (const auto& [p, d] : model) {
      if (!earliest || d < *earliest) earliest = d;
    }
    BOOST_TEST_REQUIRE((table.next_expiry() == earliest));
  }
  // The run must have exercised what it claims to: many inserts, a full table, and a heap
  // that carried stale items.
  BOOST_TEST(inserts > 10000u);
  BOOST_TEST(full > 100u);
  BOOST_TEST(max_heap > kMax);
}

// Erased flows and shortened deadlines leave stale heap items behind the live top; a
// workload made only of those must not grow the heap past its bound.
BOOST_AUTO_TEST_CASE(stale_deadlines_do_not_accumulate) {
  constexpr std::size_t kMax = 16;
  Table table(kMax, idle_for);
  (void)table.insert(key(1), {1, false}, 0s);  // stays on top: deadline 30 s
  auto long_lived = table.insert(key(2), {2, true}, 0s);
  std::size_t max_heap = 0;
  for (int i = 0; i < 100000; ++i) {
    const auto port = static_cast<std::uint16_t>(100 + i % 1000);
    BOOST_TEST_REQUIRE((table.insert(key(port), {port, true}, 1s).outcome == InsertOutcome::kInserted));
    BOOST_TEST_REQUIRE(table.erase(key(port)).has_value());
    // Flip key 2 between 300 s and 30 s: every shortening queues a new item.
    long_lived.state->established = !long_lived.state->established;
    BOOST_TEST_REQUIRE(table.refresh(key(2)));
    max_heap = std::max(max_heap, table.queued_deadlines());
    BOOST_TEST_REQUIRE(table.queued_deadlines() <= 2 * kMax + 16);
  }
  BOOST_TEST(max_heap > 2 * table.size());  // stale items did occur and were cleared
  BOOST_TEST(table.size() == 2u);
  BOOST_TEST((table.next_expiry() == 30s));
}
