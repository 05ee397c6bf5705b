// `mitmlab run SCENARIO [--out DIR] [--seed N] [--pcap] [--keylog] [--key-cache DIR] [--quiet]`:
// simulates a scenario file (scenarios/README.md) and writes its results (default
// results/<name>/), then prints the human summary (also written to summary.txt). A status
// line goes to stderr while it runs, only when stderr is a terminal; at the end one line
// on stderr says what the run cost (wall time, peak resident memory, key cache use) and
// another where its wall time went (phases, jobs of a second or more): on stderr only, never in the result files, which must not depend on the machine. Exit
// status: 0 when the run completed and its files were written, 2 for a bad scenario or
// option, 1 for a failure during the run.
#include <fmt/core.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "cli/command.h"
#include "sim/run-report.h"
#include "sim/scenario-run.h"
#include "sim/scenario.h"

namespace mitmlab::cli {
namespace {

struct Options {
  std::string scenario;
  std::string out;
  std::optional<std::uint64_t> seed;
  bool pcap = false;
  bool keylog = false;
  bool quiet = false;
  std::string key_cache;
  unsigned key_threads = std::max(1u, std::thread::hardware_concurrency());
  unsigned parallel = std::max(1u, std::thread::hardware_concurrency());
};

// Peak resident set size in kB (VmHWM of /proc/self/status), or nothing off Linux.
std::optional<long> peak_rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return std::nullopt;
}

std::string cost_line(std::chrono::steady_clock::duration wall, const KeyCache* cache, const KeyPrefetchCounters& keys) {
  std::string line = fmt::format("mitmlab run: wall time {:.1f} s", std::chrono::duration<double>(wall).count());
  // A sharded run's simulation happens in child processes (sim/sharded-run.h): count them.
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  const double cpu = seconds(self.ru_utime) + seconds(self.ru_stime) + seconds(children.ru_utime) + seconds(children.ru_stime);
  line += fmt::format(", CPU {:.1f} s", cpu);
  if (auto kb = peak_rss_kb()) line += fmt::format(", peak RSS {:.1f} MiB", static_cast<double>(*kb) / 1024.0);
  if (children.ru_maxrss > 0)
    line += fmt::format(" (largest shard process {:.1f} MiB)", static_cast<double>(children.ru_maxrss) / 1024.0);
  if (cache) {
    const KeyCacheCounters c = cache->counters();
    line += fmt::format(", key cache {}: {} hits, {} misses", cache->directory().string(), c.hits, c.misses);
    if (c.corrupt) line += fmt::format(", {} corrupt", c.corrupt);
    if (c.write_failures) line += fmt::format(", {} write failures", c.write_failures);
  }
  if (keys.requested + keys.derived_inline > 0)
    line += fmt::format(", forged-leaf keys: {} planned, {} prepared ahead on other threads, {} when needed ({} waited for)",
                        keys.requested, keys.derived_by_workers, keys.derived_inline, keys.waited);
  return line;
}

// Where the wall time went: the phases, and the jobs that took a second or more.
std::string wall_times_line(const RunWallTimes& t) {
  std::string line = fmt::format("mitmlab run: wall time by phase: prepare {:.1f} s, simulate {:.1f} s, write {:.1f} s",
                                 t.prepare, t.simulate, t.write);
  std::string jobs;
  for (const auto& [name, seconds] : t.jobs)
    if (seconds >= 1.0) jobs += fmt::format("{}{} {:.1f} s", jobs.empty() ? "" : ", ", name, seconds);
  if (!jobs.empty()) line += "; jobs (start to end, overlapping): " + jobs;
  return line;
}

int run(const Options& o) {
  const auto began = std::chrono::steady_clock::now();  // the run's cost, for stderr only
  auto scenario = load_scenario(o.scenario, o.seed);
  if (!scenario) {
    fmt::print(stderr, "mitmlab run: {}\n", scenario.message());
    return 2;
  }
  RunOptions options;
  options.out = o.out.empty() ? std::filesystem::path("results") / scenario->name : std::filesystem::path(o.out);
  options.pcap = o.pcap;
  options.keylog = o.keylog;
  if (!o.key_cache.empty()) options.key_cache = std::make_shared<KeyCache>(o.key_cache);
  options.key_threads = o.key_threads;
  options.parallel = o.parallel;
  KeyPrefetchCounters key_stats;
  options.key_stats = &key_stats;
  RunWallTimes wall_times;
  options.wall_times = &wall_times;
  const bool tty = isatty(STDERR_FILENO) == 1;
  if (tty)
    options.progress = [](const std::string& line) {
      fmt::print(stderr, "\r\033[K{}", line.substr(0, 150));
      std::fflush(stderr);
    };
  auto results = run_scenario(*scenario, options);
  if (tty) fmt::print(stderr, "\r\033[K");
  if (!results) {
    fmt::print(stderr, "mitmlab run: {}: {}\n", o.scenario, results.message());
    return 1;
  }
  if (!o.quiet) fmt::print("{}", describe_run(*results));
  if (options.key_cache)
    for (const std::string& problem : options.key_cache->take_problems())
      fmt::print(stderr, "mitmlab run: key cache: {}\n", problem);
  fmt::print(stderr, "mitmlab run: results in {}\n", options.out.string());
  fmt::print(stderr, "{}\n", cost_line(std::chrono::steady_clock::now() - began, options.key_cache.get(), key_stats));
  fmt::print(stderr, "{}\n", wall_times_line(wall_times));
  return 0;
}

void install(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("run", "Simulate a scenario file and write its results");
  cmd->add_option("scenario", o->scenario, "Scenario file (see scenarios/README.md)")->required();
  cmd->add_option("--out", o->out, "Output directory (default results/<scenario name>)");
  cmd->add_option("--seed", o->seed, "Override the scenario's seed");
  cmd->add_flag("--pcap", o->pcap, "Write a pcap per device, named after its node");
  cmd->add_flag("--keylog", o->keylog, "Write keylog.txt (NSS format) for Wireshark");
  cmd->add_option("--key-cache", o->key_cache,
                  "Directory of the forgers' key cache: forged keys are derived once and loaded on later runs");
  cmd->add_option("--key-threads", o->key_threads,
                  "Threads deriving forged keys ahead of need (default: one per core; 0: only when needed). "
                  "Changes the run's speed, never its results")
      ->capture_default_str();
  cmd->add_option("--parallel", o->parallel,
                  "Shard processes simulating at once, for a scenario with \"shards\" (default: one per core; "
                  "0: all). Changes the run's speed, never its results")
      ->capture_default_str();
  cmd->add_flag("--quiet", o->quiet, "Do not print the human summary");
  cmd->callback([o, &exit_code] { exit_code = run(*o); });
}

const bool registered = register_command(install);

}  // namespace
}  // namespace mitmlab::cli
