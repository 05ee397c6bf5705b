#include "sim/scenario.h"

#include <fmt/core.h>

#include <array>
#include <fstream>
#include <sstream>

#include "interceptor/siphash.h"
#include "sim/scenario-reader.h"

namespace mitmlab {

namespace {

constexpr std::array<std::pair<CertKind, std::string_view>, 7> kCertKindNames{{
    {CertKind::trusted, "trusted"},
    {CertKind::vhost, "vhost"},
    {CertKind::self_signed, "self-signed"},
    {CertKind::expired, "expired"},
    {CertKind::unknown_root, "unknown-root"},
    {CertKind::no_tls, "no-tls"},
    {CertKind::down, "down"},
}};

}  // namespace

bool Ipv4Prefix::contains(Ipv4Address a) const {
  std::uint32_t mask = length == 0 ? 0 : ~std::uint32_t{0} << (32 - length);
  return (a.value & mask) == network.value;
}

std::string Ipv4Prefix::to_string() const {
  return fmt::format("{}/{}", network.to_string(), length);
}

Result<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text) {
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos)
    return make_error("prefix '{}': expected \"a.b.c.d/n\"", text);
  auto address = Ipv4Address::parse(text.substr(0, slash));
  if (!address) return make_error("prefix '{}': {}", text, address.message());
  std::string_view bits = text.substr(slash + 1);
  unsigned length = 0;
  if (bits.empty() || bits.size() > 2 || (bits.size() == 2 && bits[0] == '0')) {
    return make_error("prefix '{}': expected a length 0..32 after '/'", text);
  }
  for (char c : bits) {
    if (c < '0' || c > '9')
      return make_error("prefix '{}': expected a length 0..32 after '/'", text);
    length = length * 10 + static_cast<unsigned>(c - '0');
  }
  if (length > 32) return make_error("prefix '{}': expected a length 0..32 after '/'", text);
  Ipv4Prefix prefix{Ipv4Address(0), length};
  prefix.network =
      Ipv4Address(address->value & (length == 0 ? 0 : ~std::uint32_t{0} << (32 - length)));
  if (prefix.network != *address) {
    return make_error("prefix '{}': host bits are set (did you mean {}?)", text,
                      prefix.to_string());
  }
  return prefix;
}

std::string_view cert_kind_name(CertKind kind) {
  for (auto [k, name] : kCertKindNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::optional<CertKind> parse_cert_kind(std::string_view name) {
  for (auto [kind, n] : kCertKindNames) {
    if (n == name) return kind;
  }
  return std::nullopt;
}

std::string_view job_kind_name(JobKind kind) {
  switch (kind) {
    case JobKind::scan:
      return "scan";
    case JobKind::trace:
      return "trace";
    case JobKind::fetch:
      return "fetch";
    case JobKind::fingerprint:
      return "fingerprint";
  }
  return "unknown";
}

std::uint64_t derive_seed(std::uint64_t scenario_seed, std::string_view label) {
  SipHashKey key{};
  for (std::size_t i = 0; i < 8; ++i) key[i] = static_cast<std::uint8_t>(scenario_seed >> (8 * i));
  return siphash24(key, as_bytes(label));
}

Result<Scenario> parse_scenario(std::string_view json_text, std::string_view source_name) {
  try {
    nlohmann::json doc;
    try {
      // Comments are allowed: scenario files explain their choices.
      doc = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/true,
                                  /*ignore_comments=*/true);
    } catch (const nlohmann::json::parse_error& e) {
      // e.what() is "[json.exception.parse_error.101] parse error at line 3, column 5: ...".
      std::string what = e.what();
      if (std::size_t p = what.find("] "); p != std::string::npos) what.erase(0, p + 2);
      return make_error("scenario {}: not valid JSON: {}", source_name, what);
    }
    Scenario scenario;
    read_scenario_json(doc, source_name, scenario);
    check_scenario(source_name, scenario);
    return scenario;
  } catch (const ScenarioFault& fault) {
    return fault.error;
  } catch (const std::exception& e) {
    // Not expected: every check throws ScenarioFault. Kept so that nothing escapes.
    return make_error("scenario {}: {}", source_name, e.what());
  }
}

Result<Scenario> load_scenario(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error("scenario {}: cannot open the file", file.string());
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error("scenario {}: cannot read the file", file.string());
  auto scenario = parse_scenario(text.str(), file.string());
  if (scenario) scenario->source = file;
  return scenario;
}

}  // namespace mitmlab
