// mitmlab: one binary, one subcommand per file in cli/.
#include <cstdio>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace mitmlab::cli {

namespace {
std::vector<CommandInstaller>& registry() {
  static std::vector<CommandInstaller> installers;
  return installers;
}
}  // namespace

bool register_command(CommandInstaller installer) {
  registry().push_back(installer);
  return true;
}

}  // namespace mitmlab::cli

int main(int argc, char** argv) {
  CLI::App app{"mitmlab: a testbed for carrier-level TLS interception (Kazakhstan, 2019)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mitmlab 0.1");
  int exit_code = 0;
  for (auto installer : mitmlab::cli::registry()) installer(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
