#include "sim/scenario.h"

#include <fmt/core.h>

#include <array>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "interceptor/siphash.h"
#include "sim/scenario-reader.h"

namespace mitmlab {

namespace {

constexpr std::array<std::pair<CertKind, std::string_view>, 7> kCertKindNames{{
    {CertKind::trusted, "trusted"},
    {CertKind::vhost, "vhost"},
    {CertKind::self_signed, "self_signed"},
    {CertKind::expired, "expired"},
    {CertKind::unknown_root, "unknown_root"},
    {CertKind::no_tls, "no_tls"},
    {CertKind::down, "down"},
}};

// nlohmann::json keeps the last of two equal keys in an object without a word. In a
// scenario a repeated key is a mistake (two "delay"s: which one was meant?), so the parser
// callback watches every object's keys and remembers where the first repeat is.
class RepeatedKeyFinder {
 public:
  bool on_event(nlohmann::json::parse_event_t event, const nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start:
        frames_.emplace_back();
        break;
      case Event::array_start:
        frames_.emplace_back().array = true;
        break;
      case Event::key: {
        Frame& frame = frames_.back();
        frame.key = parsed.get<std::string>();
        if (!frame.keys.insert(frame.key).second && !repeated) repeated = pointer();
        break;
      }
      case Event::object_end:
      case Event::array_end:
        frames_.pop_back();
        next_element();
        break;
      case Event::value:
        next_element();
        break;
    }
    return true;
  }

  std::optional<JsonPointer> repeated;

 private:
  struct Frame {
    bool array = false;
    std::size_t index = 0;       // arrays: the element being read
    std::string key;             // objects: the key being read
    std::set<std::string> keys;  // objects: the keys read so far
  };
  void next_element() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }
  JsonPointer pointer() const {
    JsonPointer p;
    for (const Frame& f : frames_) p = f.array ? p / f.index : p / f.key;
    return p;
  }
  std::vector<Frame> frames_;
};

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

Result<Scenario> parse_scenario(std::string_view json_text, std::string_view source_name,
                                std::optional<std::uint64_t> seed_override) {
  try {
    nlohmann::json doc;
    RepeatedKeyFinder repeats;
    try {
      // Comments are allowed: scenario files explain their choices.
      doc = nlohmann::json::parse(
          json_text,
          [&repeats](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
            return repeats.on_event(event, parsed);
          },
          /*allow_exceptions=*/true, /*ignore_comments=*/true);
    } catch (const nlohmann::json::parse_error& e) {
      // e.what() is "[json.exception.parse_error.101] parse error at line 3, column 5: ...".
      std::string what = e.what();
      if (std::size_t p = what.find("] "); p != std::string::npos) what.erase(0, p + 2);
      return make_error("scenario {}: not valid JSON: {}", source_name, what);
    }
    if (repeats.repeated) {
      scenario_fail(source_name, *repeats.repeated,
                    fmt::format("key '{}' appears twice in one object", repeats.repeated->back()));
    }
    // As if the file said so: everything derived from the seed (group kinds, engine seeds)
    // follows it.
    if (seed_override && doc.is_object()) doc["seed"] = *seed_override;
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

Result<Scenario> load_scenario(const std::filesystem::path& file, std::optional<std::uint64_t> seed_override) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error("scenario {}: cannot open the file", file.string());
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error("scenario {}: cannot read the file", file.string());
  auto scenario = parse_scenario(text.str(), file.string(), seed_override);
  if (scenario) scenario->source = file;
  return scenario;
}

}  // namespace mitmlab
