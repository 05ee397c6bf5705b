// The engine's flows: a bounded map from 4-tuple to per-flow state, found from a packet
// in either direction, with idle expiry that costs O(log n) per change instead of a scan
// of every flow on every packet.
//
// Expiry: each flow's deadline is last_activity + idle_for(state), recomputed by touch()
// and refresh(). Deadlines sit in a binary min-heap ordered by (deadline, serial). The heap
// is updated lazily: a deadline that moves later leaves its heap item in place, and the
// item is re-queued when it reaches the top; erased flows leave stale items that are
// dropped when they reach the top. After every public call the top item is live and
// exact, so next_expiry() is exact and const. The heap is rebuilt when stale items
// outnumber live flows, so it never holds more than 2 * max_flows + 16 items.
//
// Bounded: insert() refuses a flow when max_flows are tracked; the caller counts it
// (table_full) and may call evict_soonest() first if it prefers new flows to old ones.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "interceptor/flow-key.h"
#include "net/clock.h"

namespace mitmlab {

// Which end sent a packet of a tracked flow.
enum class FlowDirection : std::uint8_t { kClientToServer, kServerToClient };
std::string_view direction_name(FlowDirection direction);  // "client_to_server" / "server_to_client"

enum class InsertOutcome : std::uint8_t {
  kInserted,
  kFull,    // max_flows already tracked
  kExists,  // the key, or its reverse, is already tracked
};
std::string_view insert_outcome_name(InsertOutcome outcome);  // "inserted" / "full" / "exists"

template <typename State>
class FlowTable {
 public:
  // How long a flow in a given state may stay idle: the engine gives handshake_idle to
  // flows still in the handshake and established_idle to the rest.
  using IdleFor = std::function<Duration(const State&)>;

  struct Inserted {
    InsertOutcome outcome;
    State* state;  // the new flow's state, null unless inserted
  };
  struct Match {
    FlowKey key;  // oriented client → server
    FlowDirection direction;
    State* state;
  };
  struct Removed {
    FlowKey key;
    State state;
    Timestamp last_activity;
  };

  FlowTable(std::size_t max_flows, IdleFor idle_for, std::uint64_t hash_seed = 0)
      : max_flows_(max_flows), idle_for_(std::move(idle_for)), flows_(0, FlowKeyHash{hash_seed}) {}

  std::size_t size() const { return flows_.size(); }
  bool empty() const { return flows_.empty(); }
  std::size_t max_flows() const { return max_flows_; }
  // Items in the deadline heap, live and stale: for tests of the bound.
  std::size_t queued_deadlines() const { return heap_.size(); }

  // Starts tracking `key` (client → server) with activity at `now`. A key whose reverse is
  // tracked is refused too, so that lookup() can never match a packet to two flows.
  Inserted insert(const FlowKey& key, State state, Timestamp now) {
    if (flows_.contains(key) || flows_.contains(key.reversed())) return {InsertOutcome::kExists, nullptr};
    if (flows_.size() >= max_flows_) return {InsertOutcome::kFull, nullptr};
    auto [it, unused] = flows_.emplace(key, Entry{std::move(state), now, now, 0, now});
    Entry& e = it->second;
    e.deadline = now + idle_for_(e.state);
    queue(key, e);
    settle();
    return {InsertOutcome::kInserted, &e.state};
  }

  // Pointers stay valid until the flow is erased, expired or evicted.
  State* find(const FlowKey& key) {
    auto it = flows_.find(key);
    return it == flows_.end() ? nullptr : &it->second.state;
  }
  const State* find(const FlowKey& key) const {
    auto it = flows_.find(key);
    return it == flows_.end() ? nullptr : &it->second.state;
  }

  // The flow a packet (src:sport → dst:dport) belongs to, in either orientation.
  std::optional<Match> lookup(std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport) {
    const FlowKey forward{src, sport, dst, dport};
    if (State* s = find(forward)) return Match{forward, FlowDirection::kClientToServer, s};
    const FlowKey backward = forward.reversed();
    if (State* s = find(backward)) return Match{backward, FlowDirection::kServerToClient, s};
    return std::nullopt;
  }

  // Records activity at `now` and recomputes the deadline from the flow's current state.
  // Call it after every packet of the flow, and after any change of state. False if untracked.
  bool touch(const FlowKey& key, Timestamp now) {
    auto it = flows_.find(key);
    if (it == flows_.end()) return false;
    it->second.last_activity = std::max(it->second.last_activity, now);
    reschedule(it->first, it->second);
    return true;
  }

  // Recomputes the deadline after a change of state that was not activity (e.g. a timer).
  bool refresh(const FlowKey& key) {
    auto it = flows_.find(key);
    if (it == flows_.end()) return false;
    reschedule(it->first, it->second);
    return true;
  }

  std::optional<Timestamp> last_activity(const FlowKey& key) const {
    auto it = flows_.find(key);
    return it == flows_.end() ? std::nullopt : std::optional<Timestamp>(it->second.last_activity);
  }
  std::optional<Timestamp> deadline(const FlowKey& key) const {
    auto it = flows_.find(key);
    return it == flows_.end() ? std::nullopt : std::optional<Timestamp>(it->second.deadline);
  }

  std::optional<State> erase(const FlowKey& key) {
    auto it = flows_.find(key);
    if (it == flows_.end()) return std::nullopt;
    std::optional<State> state(std::move(it->second.state));
    flows_.erase(it);
    settle();
    return state;
  }

  // Removes and returns every flow whose deadline is at or before `now`, earliest first
  // (equal deadlines in the order they were last scheduled).
  std::vector<Removed> expire(Timestamp now) {
    std::vector<Removed> out;
    while (!heap_.empty() && heap_.front().deadline <= now) out.push_back(pop_top());
    return out;
  }

  // Removes the flow closest to expiry, to make room for a new one.
  std::optional<Removed> evict_soonest() {
    if (heap_.empty()) return std::nullopt;
    return pop_top();
  }

  // The earliest deadline of any tracked flow: when the engine's timer should fire.
  std::optional<Timestamp> next_expiry() const {
    if (heap_.empty()) return std::nullopt;
    return heap_.front().deadline;
  }

  // Visits every flow in unspecified order; `fn(const FlowKey&, State&)` must not insert or erase.
  template <typename Fn>
  void for_each(Fn&& fn) {
    for (auto& [key, entry] : flows_) fn(key, entry.state);
  }

 private:
  struct Entry {
    State state;
    Timestamp last_activity;
    Timestamp deadline;      // exact: last_activity + idle_for(state)
    std::uint64_t serial;    // of this flow's one live heap item
    Timestamp queued;        // that item's deadline, never later than `deadline`
  };
  struct Item {
    Timestamp deadline;
    std::uint64_t serial;  // unique per push: breaks ties deterministically, marks stale items
    FlowKey key;
  };
  // std::push_heap builds a max-heap; "later" as less-than puts the earliest on top.
  static bool later(const Item& a, const Item& b) {
    return a.deadline != b.deadline ? a.deadline > b.deadline : a.serial > b.serial;
  }

  void push(Item item) {
    heap_.push_back(item);
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
  Item pop() {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    Item item = heap_.back();
    heap_.pop_back();
    return item;
  }

  // Gives the flow a fresh heap item at its exact deadline; any older item becomes stale.
  void queue(const FlowKey& key, Entry& e) {
    e.serial = next_serial_++;
    e.queued = e.deadline;
    push({e.deadline, e.serial, key});
  }

  void reschedule(const FlowKey& key, Entry& e) {
    e.deadline = e.last_activity + idle_for_(e.state);
    // A later deadline is left to settle(); an earlier one must be queued now, or the
    // flow would expire late.
    if (e.deadline < e.queued) queue(key, e);
    settle();
  }

  // Restores "the top item is live and exact", and bounds the heap.
  void settle() {
    if (heap_.size() > 2 * flows_.size() + 16) rebuild();
    while (!heap_.empty()) {
      const Item& top = heap_.front();
      auto it = flows_.find(top.key);
      if (it == flows_.end() || it->second.serial != top.serial) {
        pop();  // stale: the flow is gone or has a newer item
        continue;
      }
      Entry& e = it->second;
      if (e.deadline == top.deadline) return;
      FlowKey key = top.key;
      pop();
      queue(key, e);  // the deadline moved later: re-queue at the new one
    }
  }

  void rebuild() {
    heap_.clear();
    heap_.reserve(flows_.size());
    for (auto& [key, e] : flows_) {
      e.queued = e.deadline;
      heap_.push_back({e.deadline, e.serial, key});
    }
    std::make_heap(heap_.begin(), heap_.end(), later);
  }

  // Pops the (live, exact) top flow out of the table.
  Removed pop_top() {
    Item item = pop();
    auto it = flows_.find(item.key);
    Removed removed{item.key, std::move(it->second.state), it->second.last_activity};
    flows_.erase(it);
    settle();
    return removed;
  }

  std::size_t max_flows_;
  IdleFor idle_for_;
  std::unordered_map<FlowKey, Entry, FlowKeyHash> flows_;
  std::vector<Item> heap_;
  std::uint64_t next_serial_ = 0;
};

}  // namespace mitmlab
