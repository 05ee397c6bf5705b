#include "cli/bench-command.h"

namespace mitmlab::cli {

CLI::App& bench_command(CLI::App& app) {
  auto existing = app.get_subcommands([](CLI::App* sub) { return sub->get_name() == "bench"; });
  if (!existing.empty()) return *existing.front();
  auto* bench = app.add_subcommand("bench", "Measure the speed of mitmlab's parts (wall clock; never part of a result)");
  bench->require_subcommand(1);
  return *bench;
}

}  // namespace mitmlab::cli
