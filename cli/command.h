// Subcommands register themselves here; main() builds the CLI from the registry.
#pragma once

#include <CLI/CLI.hpp>

namespace mitmlab::cli {

// Adds a subcommand to `app`. When the subcommand runs, its callback stores the
// process exit status in `exit_code` (0 on success).
using CommandInstaller = void (*)(CLI::App& app, int& exit_code);

// Called from a static initialiser in each command's file; returns true.
bool register_command(CommandInstaller installer);

}  // namespace mitmlab::cli
