// `mitmlab run SCENARIO [--out DIR] [--seed N] [--pcap] [--keylog] [--quiet]`: simulates a
// scenario file (scenarios/README.md) and writes its results (default results/<name>/),
// then prints the human summary (also written to summary.txt). A status line goes to
// stderr while it runs, only when stderr is a terminal. Exit status: 0 when the run
// completed and its files were written, 2 for a bad scenario or option, 1 for a failure
// during the run.
#include <fmt/core.h>
#include <unistd.h>

#include <optional>
#include <string>

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
};

int run(const Options& o) {
  auto scenario = load_scenario(o.scenario, o.seed);
  if (!scenario) {
    fmt::print(stderr, "mitmlab run: {}\n", scenario.message());
    return 2;
  }
  RunOptions options;
  options.out = o.out.empty() ? std::filesystem::path("results") / scenario->name : std::filesystem::path(o.out);
  options.pcap = o.pcap;
  options.keylog = o.keylog;
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
  fmt::print(stderr, "mitmlab run: results in {}\n", options.out.string());
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
  cmd->add_flag("--quiet", o->quiet, "Do not print the human summary");
  cmd->callback([o, &exit_code] { exit_code = run(*o); });
}

const bool registered = register_command(install);

}  // namespace
}  // namespace mitmlab::cli
