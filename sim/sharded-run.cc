#include "sim/sharded-run.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "sim/run-output.h"
#include "sim/run-results-codec.h"
#include "sim/run-writer.h"
#include "sim/server-shards.h"
#include "sim/shard-merge.h"

namespace mitmlab {
namespace {

using nlohmann::json;

// Messages between a shard and the parent: a 4-byte little-endian length, then CBOR.
//   shard -> parent: {"type": "ready"}: the shard has started and waits for its turn
//   parent -> shard: {"type": "run"}: simulate (at most RunOptions::parallel shards at once)
//   shard -> parent: {"type": "publish", "job": J, "verdicts": [[address, port, verdict, time_ns], ...]}
//                    {"type": "gather", "job": J}
//   parent -> shard: {"type": "gathered", "job": J, "verdicts": [[address, port, verdict], ...]}
//                    {"type": "error", "message": M}
Status send_message(int fd, const json& message) {
  const std::vector<std::uint8_t> body = json::to_cbor(message);
  std::vector<std::uint8_t> frame(4 + body.size());
  const auto n = static_cast<std::uint32_t>(body.size());
  for (int i = 0; i < 4; ++i) frame[i] = static_cast<std::uint8_t>(n >> (8 * i));
  std::copy(body.begin(), body.end(), frame.begin() + 4);
  std::size_t sent = 0;
  while (sent < frame.size()) {
    ssize_t w = ::send(fd, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return make_error("shard channel: send failed: {}", std::strerror(errno));
    sent += static_cast<std::size_t>(w);
  }
  return Ok{};
}

// Nothing at a clean end of the stream.
Result<std::optional<json>> receive_message(int fd) {
  auto read_exact = [fd](std::uint8_t* p, std::size_t n) -> Result<bool> {
    std::size_t got = 0;
    while (got < n) {
      ssize_t r = ::read(fd, p + got, n - got);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return make_error("shard channel: read failed: {}", std::strerror(errno));
      if (r == 0) {
        if (got == 0) return false;
        return make_error("shard channel: the stream ended inside a message");
      }
      got += static_cast<std::size_t>(r);
    }
    return true;
  };
  std::uint8_t head[4];
  auto more = read_exact(head, 4);
  if (!more) return more.error();
  if (!*more) return std::optional<json>{};
  const std::uint32_t n = head[0] | head[1] << 8 | head[2] << 16 | static_cast<std::uint32_t>(head[3]) << 24;
  std::vector<std::uint8_t> body(n);
  auto complete = read_exact(body.data(), n);
  if (!complete) return complete.error();
  if (!*complete) return make_error("shard channel: the stream ended inside a message");
  try {
    return std::optional<json>(json::from_cbor(body));
  } catch (const json::exception& e) {
    return make_error("shard channel: bad message: {}", e.what());
  }
}

// A verdict on the channel: [address, port, verdict].
json verdict_json(const HostVerdict& v) { return json::array({v.address, v.port, static_cast<int>(v.verdict)}); }
HostVerdict verdict_from_json(const json& v) {
  return {v.at(0).get<std::string>(), v.at(1).get<std::uint16_t>(), static_cast<Verdict>(v.at(2).get<int>())};
}

std::filesystem::path outcome_file(const std::filesystem::path& out, std::size_t shard) {
  return out / fmt::format(".shard-{}.cbor", shard);
}

// Asks for the shard's first turn and waits for it.
Status wait_for_turn(int fd) {
  if (Status st = send_message(fd, {{"type", "ready"}}); !st) return st.error();
  auto reply = receive_message(fd);
  if (!reply) return reply.error();
  if (!*reply) return make_error("the run's parent process went away");
  const json& m = **reply;
  if (m.value("type", "") != "run")
    return make_error("shard channel: expected the word to run, got '{}'", m.value("type", ""));
  return Ok{};
}

// The whole life of shard `index`: never returns.
[[noreturn]] void shard_main(const Scenario& scenario, const RunOptions& options, std::size_t index, int fd) {
  Scenario mine = scenario;
  ServerShards servers(mine, index, mine.shards);
  for (ScenarioJob& job : mine.jobs) {
    job.scan.concurrency = servers.share_of(job.scan.concurrency);
    job.trace.concurrency = servers.share_of(job.trace.concurrency);
  }
  ShardContext shard{servers, {}, {}};
  shard.publish = [fd](const std::string& job, const std::vector<TimedVerdict>& verdicts) {
    json list = json::array();
    for (const TimedVerdict& v : verdicts) {
      list.push_back(verdict_json(v.verdict));
      list.back().push_back(v.time.count());
    }
    (void)send_message(fd, {{"type", "publish"}, {"job", job}, {"verdicts", std::move(list)}});
  };
  shard.gather = [fd](const std::string& job) -> Result<std::vector<HostVerdict>> {
    if (Status st = send_message(fd, {{"type", "gather"}, {"job", job}}); !st) return st.error();
    auto reply = receive_message(fd);
    if (!reply) return reply.error();
    if (!*reply) return make_error("the run's parent process went away");
    const json& m = **reply;
    if (m.value("type", "") == "error") return make_error("{}", m.value("message", "unknown error"));
    std::vector<HostVerdict> out;
    try {
      for (const json& v : m.at("verdicts")) out.push_back(verdict_from_json(v));
    } catch (const json::exception& e) {
      return make_error("shard channel: bad verdicts: {}", e.what());
    }
    return out;
  };
  RunOptions own = options;
  if (index != 0) own.progress = nullptr;  // one status line, the first shard's
  RunWallTimes wall;
  KeyPrefetchCounters keys;
  own.wall_times = &wall;
  own.key_stats = &keys;
  const Status turn = wait_for_turn(fd);
  Result<ShardOutcome> outcome = turn ? run_shard(mine, own, shard) : Result<ShardOutcome>(turn.error());
  json doc;
  if (!outcome) {
    doc = {{"error", outcome.message()}};
  } else {
    json jobs = json::array();
    for (const auto& [name, seconds] : wall.jobs) jobs.push_back({name, seconds});
    doc = {{"results", json::binary(encode_run_results(outcome->results))},
           {"extras", json::binary(encode_run_extras(outcome->extras))},
           {"wall", {{"prepare", wall.prepare}, {"simulate", wall.simulate}, {"write", wall.write}, {"jobs", jobs}}},
           {"keys", {keys.requested, keys.derived_by_workers, keys.ready, keys.waited, keys.derived_inline}}};
    if (options.key_cache) {
      const KeyCacheCounters c = options.key_cache->counters();
      doc["cache"] = {c.hits, c.misses, c.corrupt, c.write_failures};
      doc["cache_problems"] = options.key_cache->take_problems();
    }
  }
  const std::vector<std::uint8_t> bytes = json::to_cbor(doc);
  const std::filesystem::path file = outcome_file(options.out, index);
  std::ofstream os(file, std::ios::binary | std::ios::trunc);
  os.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  os.close();
  ::close(fd);
  std::_Exit(os && outcome ? 0 : 1);
}

// What a shard left in its hand-over file, decoded.
struct HandOver {
  bool read = false;                 // the file existed and was CBOR
  std::optional<std::string> error;  // the shard's own failure, or what was wrong with its file
  RunResults results;
  RunExtras extras;
  RunWallTimes wall;
  KeyPrefetchCounters keys;
  std::optional<KeyCacheCounters> cache;
  std::vector<std::string> cache_problems;
};

// Reads and removes the file. Run on a thread as soon as the shard has ended, while the
// others still simulate.
HandOver take_hand_over(const std::filesystem::path& file) {
  HandOver h;
  std::error_code ec;
  std::vector<std::uint8_t> bytes(std::filesystem::file_size(file, ec));
  if (ec) return h;
  std::ifstream(file, std::ios::binary)
      .read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  std::filesystem::remove(file, ec);
  json doc;
  try {
    doc = json::from_cbor(bytes);
  } catch (const json::exception&) {
    return h;
  }
  bytes = {};
  h.read = true;
  try {
    if (doc.contains("error")) {
      h.error = doc.at("error").get<std::string>();
      return h;
    }
    auto r = decode_run_results(doc.at("results").get_binary());
    auto e = decode_run_extras(doc.at("extras").get_binary());
    if (!r || !e) {
      h.error = !r ? r.message() : e.message();
      return h;
    }
    h.results = std::move(*r);
    h.extras = std::move(*e);
    const json& ks = doc.at("keys");
    h.keys = {ks.at(0).get<std::uint64_t>(), ks.at(1).get<std::uint64_t>(), ks.at(2).get<std::uint64_t>(),
              ks.at(3).get<std::uint64_t>(), ks.at(4).get<std::uint64_t>()};
    if (doc.contains("cache")) {
      const json& c = doc.at("cache");
      h.cache = KeyCacheCounters{c.at(0).get<std::uint64_t>(), c.at(1).get<std::uint64_t>(),
                                 c.at(2).get<std::uint64_t>(), c.at(3).get<std::uint64_t>()};
      h.cache_problems = doc.value("cache_problems", std::vector<std::string>{});
    }
    const json& w = doc.at("wall");
    h.wall.prepare = w.at("prepare").get<double>();
    for (const json& j : w.at("jobs")) h.wall.jobs.emplace_back(j.at(0).get<std::string>(), j.at(1).get<double>());
  } catch (const json::exception& e) {
    h.error = fmt::format("bad hand-over file: {}", e.what());
  }
  return h;
}

// The parent's side of the exchange: relays verdicts between shards, and lets at most
// `parallel` shards simulate at once. More shards than cores made every process slower (each
// time slice refilled the caches with another process's world: 5 shards on 2 cores took 18%
// more CPU time all running than 2 at a time); a shard waiting for another's verdicts, or
// done, hands its turn on. Who runs when changes the run's speed only, never its results.
class VerdictRelay {
 public:
  // fds: each shard's end of its channel, by shard. parallel 0: no limit.
  VerdictRelay(const std::vector<int>& fds, std::size_t parallel)
      : fds_(fds),
        shards_(fds.size()),
        parallel_(parallel == 0 ? fds.size() : parallel),
        waiting_(fds.size()),
        queued_(fds.size(), false) {}

  Status handle(std::size_t shard, const json& m) {
    try {
      const std::string type = m.at("type").get<std::string>();
      if (type == "ready") {
        queue(shard);
      } else if (type == "publish") {
        const std::string job = m.at("job").get<std::string>();
        std::vector<Entry>& list = jobs_[job].published[shard];
        for (const json& v : m.at("verdicts"))
          list.push_back({v.at(3).get<std::int64_t>(), shard, list.size(), verdict_from_json(v)});
      } else if (type == "gather") {
        waiting_[shard] = m.at("job").get<std::string>();
        running_.erase(shard);
      } else {
        return make_error("shard {}: unknown message '{}'", shard, type);
      }
    } catch (const json::exception& e) {
      return make_error("shard {}: bad message: {}", shard, e.what());
    }
    answer();
    return Ok{};
  }

  void closed(std::size_t shard) {
    closed_.insert(shard);
    running_.erase(shard);
    answer();
  }

 private:
  struct Entry {
    std::int64_t time_ns;
    std::size_t shard, order;
    HostVerdict verdict;
  };
  struct Job {
    std::map<std::size_t, std::vector<Entry>> published;
    std::optional<json> merged;  // once every shard has published: what each gatherer gets
  };

  void queue(std::size_t shard) {
    if (queued_[shard]) return;
    queued_[shard] = true;
    turns_.push_back(shard);
  }

  // Queues every shard whose job all shards have published; tells the others why not, when
  // a shard that has not published has ended or every live shard is waiting. Then hands out
  // the free turns.
  void answer() {
    for (std::size_t s = 0; s < shards_; ++s) {
      if (!waiting_[s] || queued_[s]) continue;
      Job& job = jobs_[*waiting_[s]];
      if (job.published.size() == shards_) {
        if (!job.merged) job.merged = merge(job);
        queue(s);
        continue;
      }
      for (std::size_t other = 0; other < shards_; ++other)
        if (!job.published.contains(other) && closed_.contains(other)) {
          fail(s, fmt::format("shard {} ended without finishing job '{}'", other, *waiting_[s]));
          break;
        }
    }
    bool all_waiting = true, any_waiting = false;
    for (std::size_t s = 0; s < shards_; ++s) {
      if (closed_.contains(s)) continue;
      if (waiting_[s] && !queued_[s]) any_waiting = true;
      else all_waiting = false;
    }
    if (any_waiting && all_waiting)
      for (std::size_t s = 0; s < shards_; ++s)
        if (waiting_[s])
          fail(s, fmt::format("the shards wait on each other: job '{}' needs a scan the others have not "
                              "finished (put the follow-up job after its source scan, or use one shard)",
                              *waiting_[s]));
    hand_out_turns();
  }

  // A gatherer's turn comes with the verdicts it waits for; a starting shard's with the word
  // to run.
  void hand_out_turns() {
    while (running_.size() < parallel_ && !turns_.empty()) {
      const std::size_t s = turns_.front();
      turns_.pop_front();
      queued_[s] = false;
      if (closed_.contains(s)) continue;
      if (waiting_[s]) {
        const std::string job = *waiting_[s];
        waiting_[s].reset();
        (void)send_message(fds_[s], {{"type", "gathered"}, {"job", job}, {"verdicts", *jobs_[job].merged}});
      } else {
        (void)send_message(fds_[s], {{"type", "run"}});
      }
      running_.insert(s);
    }
  }

  // Every shard's verdicts of the job, by completion time, then shard, then its own order.
  static json merge(const Job& job) {
    std::vector<Entry> all;
    for (const auto& [shard, list] : job.published) all.insert(all.end(), list.begin(), list.end());
    std::stable_sort(all.begin(), all.end(), [](const Entry& a, const Entry& b) {
      return std::tie(a.time_ns, a.shard, a.order) < std::tie(b.time_ns, b.shard, b.order);
    });
    json list = json::array();
    for (const Entry& e : all) list.push_back(verdict_json(e.verdict));
    return list;
  }

  void fail(std::size_t s, const std::string& why) {
    (void)send_message(fds_[s], {{"type", "error"}, {"message", why}});
    waiting_[s].reset();
  }

  const std::vector<int>& fds_;
  std::size_t shards_;
  std::size_t parallel_;
  std::map<std::string, Job> jobs_;
  std::vector<std::optional<std::string>> waiting_;  // the job each waits for
  std::vector<bool> queued_;                         // in turns_
  std::deque<std::size_t> turns_;                    // shards ready to simulate, first come first
  std::set<std::size_t> running_;
  std::set<std::size_t> closed_;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

Result<RunResults> run_sharded(const Scenario& scenario, const RunOptions& options) {
  const std::size_t k = scenario.shards;
  if (options.pcap || options.keylog)
    return make_error("--pcap and --keylog need a scenario run in one process: this one has \"shards\": {} "
                      "(make a copy with \"shards\": 1)",
                      k);
  if (auto out = RunOutput::open(options.out); !out) return out.error();
  const auto began = std::chrono::steady_clock::now();

  std::vector<int> fds(k, -1);
  std::vector<pid_t> pids(k, -1);
  std::fflush(stdout);
  std::fflush(stderr);
  for (std::size_t i = 0; i < k; ++i) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0)
      return make_error("run: cannot make a channel for shard {}: {}", i, std::strerror(errno));
    const pid_t pid = ::fork();
    if (pid < 0) {
      const std::string why = std::strerror(errno);
      for (std::size_t j = 0; j < i; ++j) {
        ::kill(pids[j], SIGTERM);
        ::waitpid(pids[j], nullptr, 0);
      }
      return make_error("run: cannot start shard {}: {}", i, why);
    }
    if (pid == 0) {
      ::close(pair[0]);
      for (std::size_t j = 0; j < i; ++j) ::close(fds[j]);
      shard_main(scenario, options, i, pair[1]);
    }
    ::close(pair[1]);
    fds[i] = pair[0];
    pids[i] = pid;
  }

  VerdictRelay relay(fds, options.parallel);
  std::vector<std::future<HandOver>> hand_overs(k);
  std::optional<Error> failure;
  std::vector<bool> open(k, true);
  while (std::find(open.begin(), open.end(), true) != open.end()) {
    std::vector<pollfd> polled;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < k; ++i)
      if (open[i]) {
        polled.push_back({fds[i], POLLIN, 0});
        which.push_back(i);
      }
    if (::poll(polled.data(), polled.size(), -1) < 0) {
      if (errno == EINTR) continue;
      failure = make_error("run: poll failed: {}", std::strerror(errno));
      break;
    }
    for (std::size_t p = 0; p < polled.size(); ++p) {
      if (!(polled[p].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const std::size_t i = which[p];
      auto message = receive_message(fds[i]);
      if (message && *message) {
        if (Status st = relay.handle(i, **message); !st && !failure) failure = st.error();
        continue;
      }
      if (!message && !failure) failure = message.error();
      open[i] = false;
      relay.closed(i);
      hand_overs[i] = std::async(std::launch::async, take_hand_over, outcome_file(options.out, i));
    }
  }
  for (int fd : fds) ::close(fd);
  std::vector<int> status(k, 0);
  for (std::size_t i = 0; i < k; ++i) ::waitpid(pids[i], &status[i], 0);
  const double simulated = seconds_since(began);

  std::vector<RunResults> results;
  std::vector<RunExtras> extras;
  KeyPrefetchCounters keys;
  for (std::size_t i = 0; i < k; ++i) {
    HandOver h = hand_overs[i].valid() ? hand_overs[i].get() : take_hand_over(outcome_file(options.out, i));
    if (failure) continue;
    if (!h.read) {
      failure = WIFSIGNALED(status[i]) ? make_error("shard {} of {} was killed by signal {} ({})", i, k,
                                                    WTERMSIG(status[i]), strsignal(WTERMSIG(status[i])))
                                       : make_error("shard {} of {} ended without its results (exit status {})", i,
                                                    k, WEXITSTATUS(status[i]));
      continue;
    }
    if (h.error) {
      failure = make_error("shard {} of {}: {}", i, k, *h.error);
      continue;
    }
    results.push_back(std::move(h.results));
    extras.push_back(std::move(h.extras));
    keys.requested += h.keys.requested;
    keys.derived_by_workers += h.keys.derived_by_workers;
    keys.ready += h.keys.ready;
    keys.waited += h.keys.waited;
    keys.derived_inline += h.keys.derived_inline;
    if (options.key_cache && h.cache) options.key_cache->absorb(*h.cache, std::move(h.cache_problems));
    if (i == 0 && options.wall_times) {
      options.wall_times->prepare = h.wall.prepare;
      options.wall_times->jobs = std::move(h.wall.jobs);
    }
  }
  if (failure) return *failure;
  if (options.key_stats) *options.key_stats = keys;
  const auto writing = std::chrono::steady_clock::now();
  auto merged = merge_shard_results(std::move(results));
  if (!merged) return merged.error();
  if (Status st = write_run_files(options.out, scenario.report, *merged, merge_run_extras(std::move(extras))); !st)
    return st.error();
  if (options.wall_times) {
    options.wall_times->simulate = simulated;
    options.wall_times->write = seconds_since(writing);
  }
  return merged;
}

}  // namespace mitmlab
