// `mitmlab forge CERT [--profile NAME] [--seed N] [--explain]`: forges CERT as the
// interception box would and prints the chain it would send (leaf, then intermediate, PEM).
#include <cstdint>
#include <memory>
#include <string>

#include <fmt/core.h>

#include "cli/command.h"
#include "interceptor/forge/certificate-description.h"
#include "interceptor/forge/certificate-file.h"
#include "interceptor/forge/fake-authority.h"
#include "interceptor/forge/forger.h"
#include "interceptor/forge/forging-profile.h"
#include "interceptor/forge/key-cache.h"

namespace mitmlab::cli {
namespace {

struct Options {
  std::string cert;
  std::string profile{default_profile_name()};
  std::uint64_t seed = 0;
  bool explain = false;
  std::string key_cache;
};

int run(const Options& o) {
  // Read the input before the (slow) authority, so a bad file fails at once.
  auto original = load_certificate_file(o.cert);
  if (!original) {
    fmt::print(stderr, "mitmlab forge: {}\n", original.message());
    return 1;
  }
  auto profile = find_profile(o.profile);
  if (!profile) {
    fmt::print(stderr, "mitmlab forge: {}\n", profile.message());
    return 2;
  }
  // The optional key cache saves the second of RSA-4096 root derivation on later runs.
  KeyCache cache = o.key_cache.empty() ? KeyCache() : KeyCache(o.key_cache);
  KeySource keys = [&cache](ByteView seed, const RsaKeySpec& spec) { return cache.get(seed, spec); };
  auto ca = FakeAuthority::create(*profile, o.seed, keys);
  if (!ca) {
    fmt::print(stderr, "mitmlab forge: {}\n", ca.message());
    return 1;
  }
  auto chain = forge_chain(*ca, **original, keys);
  if (!chain) {
    fmt::print(stderr, "mitmlab forge: {}: {}\n", o.cert, chain.message());
    return 1;
  }
  if (o.explain) {
    fmt::print("# {} forged with profile {} (seed {})\n", o.cert, profile->name, o.seed);
    fmt::print("{}\n", explain_forgery(**original, *chain->leaf));
  }
  fmt::print("{}{}", x509_to_pem(chain->leaf.get()), x509_to_pem(chain->intermediate.get()));
  return 0;
}

void install(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("forge", "Forge a server certificate as the 2019 box did");
  cmd->add_option("cert", options->cert, "Original certificate (PEM, DER, or a chain: the leaf is used)")
      ->required();
  cmd->add_option("--profile", options->profile, "Forging profile (qaznet-2019, isca-2020, ...)");
  cmd->add_option("--seed", options->seed, "Seed of the deterministic keys");
  cmd->add_option("--key-cache", options->key_cache, "Directory of cached derived keys (optional)");
  cmd->add_flag("--explain", options->explain, "Print original vs forgery, field by field, first");
  cmd->callback([options, &exit_code] { exit_code = run(*options); });
}

const bool registered = register_command(install);

}  // namespace
}  // namespace mitmlab::cli
