// `mitmlab version`: prints the versions of mitmlab and of the libraries it runs on.
#include <fmt/core.h>
#include <openssl/crypto.h>

#include "cli/command.h"

namespace mitmlab::cli {
namespace {

void install(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("version", "Print the versions of mitmlab, OpenSSL and ns-3");
  cmd->callback([&exit_code] {
    fmt::print("mitmlab 0.1\n{}\nns-3 3.37\n", OpenSSL_version(OPENSSL_VERSION));
    exit_code = 0;
  });
}

const bool registered = register_command(install);

}  // namespace
}  // namespace mitmlab::cli
