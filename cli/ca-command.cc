// `mitmlab ca [--profile NAME] [--seed N] --out DIR`: mints the look-alike authority of a
// forging profile and writes root.pem, root-key.pem, intermediate.pem, intermediate-key.pem.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/core.h>

#include "cli/command.h"
#include "interceptor/forge/fake-authority.h"
#include "interceptor/forge/forging-profile.h"

namespace mitmlab::cli {
namespace {

struct Options {
  std::string profile{default_profile_name()};
  std::uint64_t seed = 0;
  std::string out;
};

bool write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

int run(const Options& o) {
  auto profile = find_profile(o.profile);
  if (!profile) {
    fmt::print(stderr, "mitmlab ca: {}\n", profile.message());
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(o.out, ec);
  if (ec) {
    fmt::print(stderr, "mitmlab ca: {}: cannot create directory: {}\n", o.out, ec.message());
    return 1;
  }
  auto ca = FakeAuthority::create(*profile, o.seed);
  if (!ca) {
    fmt::print(stderr, "mitmlab ca: {}\n", ca.message());
    return 1;
  }
  const std::filesystem::path dir(o.out);
  const std::pair<const char*, std::string> files[] = {
      {"root.pem", x509_to_pem(&ca->root())},
      {"root-key.pem", private_key_to_pem(ca->root_key())},
      {"intermediate.pem", x509_to_pem(&ca->intermediate())},
      {"intermediate-key.pem", private_key_to_pem(ca->intermediate_key())},
  };
  for (const auto& [name, text] : files) {
    if (text.empty() || !write_file(dir / name, text)) {
      fmt::print(stderr, "mitmlab ca: {}: cannot write\n", (dir / name).string());
      return 1;
    }
  }
  fmt::print("wrote {}/{{root,root-key,intermediate,intermediate-key}}.pem (profile {}, seed {})\n",
             o.out, profile->name, o.seed);
  return 0;
}

void install(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "ca", "Mint the look-alike authority (root + intermediate, certificates and keys)");
  cmd->add_option("--profile", options->profile, "Forging profile (qaznet-2019, isca-2020, ...)");
  cmd->add_option("--seed", options->seed, "Seed of the deterministic keys");
  cmd->add_option("--out", options->out, "Directory to write the PEM files to")->required();
  cmd->callback([options, &exit_code] { exit_code = run(*options); });
}

const bool registered = register_command(install);

}  // namespace
}  // namespace mitmlab::cli
