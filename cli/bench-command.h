// The `mitmlab bench` parent command. Each benchmark (`bench forge`, later `bench engine`,
// `bench sim`, `bench scan`) lives in its own file and attaches itself here, so that no
// file has to list them all and the order in which static registrations run does not matter.
#pragma once

#include <CLI/CLI.hpp>

namespace mitmlab::cli {

// Returns the "bench" subcommand of `app`, creating it on the first call.
CLI::App& bench_command(CLI::App& app);

}  // namespace mitmlab::cli
