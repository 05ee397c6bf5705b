// First pass of the scenario parser: each field on its own. See sim/scenario-reader.h.
#include "sim/scenario-reader.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <unordered_set>
#include <utility>

#include "scanner/probe-hello-profile.h"
#include "scanner/scan-verdict.h"
#include "sim/scenario-units.h"

namespace mitmlab {

namespace {

using nlohmann::json;
using UtcTime = std::chrono::sys_time<std::chrono::nanoseconds>;
using Keys = std::initializer_list<std::string_view>;

const Keys kLinkPropertyKeys = {"delay", "rate", "loss", "reorder", "reorder_delay", "cost"};
constexpr std::string_view kDurationText = "a duration like \"5ms\" or a number of seconds";
constexpr std::string_view kUtcText = "a UTC time like \"2019-07-21T10:00:00Z\"";

std::string describe(const json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return fmt::format("{} {}", value.type_name(), text);
}

bool is_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool is_label_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

// Lower-case DNS labels joined by dots: what a certificate's CN/SAN and an SNI carry.
bool is_host_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      if (label == 0 || label > 63 || s[i - 1] == '-' || s[i - label] == '-') return false;
      label = 0;
    } else if (!is_label_char(s[i])) {
      return false;
    } else {
      ++label;
    }
  }
  return true;
}

// Reads one scenario document. Every reader takes the value and its JSON pointer and
// throws ScenarioFault on the first problem.
class Reader {
 public:
  Reader(std::string_view source, Scenario& out) : source_(source), s_(out) {}

  void read(const json& doc) {
    const JsonPointer root;
    check_keys(doc, root,
               {"name", "description", "start", "seed", "end", "shards", "defaults", "routers", "links",
                "bumps", "vantages", "servers", "server_groups", "pki", "jobs", "report"});
    s_.name = text(required(doc, root, "name"), root / "name");
    if (!std::all_of(s_.name.begin(), s_.name.end(),
                     [](char c) { return c == '.' || c == '_' || is_label_char(c); }) ||
        s_.name.find_first_not_of('.') == std::string::npos) {
      expected(doc.at("name"), root / "name",
               "a name of a-z, 0-9, '.', '_' and '-' (it names the output folder)");
    }
    if (doc.contains("description"))
      s_.description = text(doc.at("description"), root / "description", true);
    read_start(required(doc, root, "start"), root / "start");
    if (doc.contains("seed")) {
      s_.seed =
          integer(doc.at("seed"), root / "seed", 0, std::numeric_limits<std::uint64_t>::max());
    }
    if (doc.contains("end")) {
      s_.end = offset(doc.at("end"), root / "end");
      if (s_.end <= Duration::zero()) fail(root / "end", "the end must be after the start");
    }
    if (doc.contains("shards")) s_.shards = integer(doc.at("shards"), root / "shards", 1, 64);
    if (doc.contains("defaults")) read_defaults(doc.at("defaults"), root / "defaults");
    each(doc, root, "routers",
         [&](const json& v, const JsonPointer& at) { s_.routers.push_back(router(v, at)); });
    each(doc, root, "links",
         [&](const json& v, const JsonPointer& at) { s_.links.push_back(link(v, at)); });
    each(doc, root, "bumps",
         [&](const json& v, const JsonPointer& at) { s_.bumps.push_back(bump(v, at)); });
    each(doc, root, "vantages",
         [&](const json& v, const JsonPointer& at) { s_.vantages.push_back(vantage(v, at)); });
    each(doc, root, "servers",
         [&](const json& v, const JsonPointer& at) { s_.servers.push_back(server(v, at)); });
    each(doc, root, "server_groups",
         [&](const json& v, const JsonPointer& at) { s_.groups.push_back(group(v, at)); });
    read_pki(doc.contains("pki") ? doc.at("pki") : json::object(), root / "pki");
    each(doc, root, "jobs", [&](const json& v, const JsonPointer& at) { add_jobs(v, at); });
  }

 private:
  // --- errors and plain values ---

  [[noreturn]] void fail(const JsonPointer& at, std::string_view what) const {
    scenario_fail(source_, at, what);
  }

  [[noreturn]] void expected(const json& got, const JsonPointer& at, std::string_view what) const {
    std::string where = at.empty() ? "/" : at.to_string();
    throw ScenarioFault{
        make_error("scenario {}: expected {} at {}, got {}", source_, what, where, describe(got))};
  }

  void check_keys(const json& v, const JsonPointer& at, Keys allowed, Keys more = {}) const {
    if (!v.is_object()) expected(v, at, "an object");
    for (const auto& item : v.items()) {
      auto known = [&](Keys keys) {
        return std::find(keys.begin(), keys.end(), item.key()) != keys.end();
      };
      if (known(allowed) || known(more)) continue;
      std::string list;
      for (Keys keys : {allowed, more}) {
        for (std::string_view k : keys) list += fmt::format("{}{}", list.empty() ? "" : ", ", k);
      }
      fail(at / item.key(), fmt::format("unknown field '{}' (known here: {})", item.key(), list));
    }
  }

  const json& required(const json& v, const JsonPointer& at, const std::string& key) const {
    if (!v.contains(key)) fail(at, fmt::format("missing field '{}'", key));
    return v.at(key);
  }

  // Calls f(item, pointer) for each element of the optional array v[key].
  template <typename F>
  void each(const json& v, const JsonPointer& at, const std::string& key, F&& f) const {
    if (!v.contains(key)) return;
    const json& list = v.at(key);
    if (!list.is_array()) expected(list, at / key, "an array");
    for (std::size_t i = 0; i < list.size(); ++i) f(list[i], at / key / i);
  }

  std::string text(const json& v, const JsonPointer& at, bool allow_empty = false) const {
    if (!v.is_string() || (!allow_empty && v.get_ref<const std::string&>().empty())) {
      expected(v, at, allow_empty ? "a string" : "a non-empty string");
    }
    return v.get<std::string>();
  }

  // Names things refer to (routers, vantages, bumps, jobs, roots' owners): no spaces, so
  // they can appear in file names and logs unquoted.
  std::string ident(const json& v, const JsonPointer& at) const {
    std::string s = v.is_string() ? v.get<std::string>() : std::string();
    if (s.empty() || s[0] == '.' || !std::all_of(s.begin(), s.end(), is_ident_char)) {
      expected(v, at, "a name of letters, digits, '.', '_' and '-' (not starting with '.')");
    }
    return s;
  }

  std::string host_name(const json& v, const JsonPointer& at) const {
    std::string s = v.is_string() ? v.get<std::string>() : std::string();
    if (!is_host_name(s)) expected(v, at, "a lower-case host name like \"bank.example.kz\"");
    return s;
  }

  std::vector<std::string> host_names(const json& v, const JsonPointer& at) const {
    if (!v.is_array()) expected(v, at, "an array of host names");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v.size(); ++i) out.push_back(host_name(v[i], at / i));
    return out;
  }

  // A scan's many candidate SNIs (the 2019 search tried ~10,000 names): one host name a
  // line, relative to the scenario file's directory; blank lines and '#' lines are skipped.
  // Appended to `snis`; a name given twice (in either) is an error.
  void read_snis_file(const json& v, const JsonPointer& at, std::vector<std::string>& snis) const {
    const std::string name = text(v, at);
    const std::filesystem::path path = std::filesystem::path(source_).parent_path() / name;
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(at, fmt::format("cannot open the SNI file {}", path.string()));
    std::unordered_set<std::string> seen(snis.begin(), snis.end());
    if (seen.size() != snis.size()) fail(at, "a test SNI appears twice in \"snis\"");
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
      const auto first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') continue;
      const std::string sni = line.substr(first, line.find_last_not_of(" \t\r") + 1 - first);
      if (!is_host_name(sni))
        fail(at, fmt::format("{} line {}: expected a lower-case host name like \"bank.example.kz\", got \"{}\"",
                             name, number, sni.substr(0, 40)));
      if (!seen.insert(sni).second) fail(at, fmt::format("{} line {}: \"{}\" is given twice", name, number, sni));
      snis.push_back(sni);
    }
    if (in.bad()) fail(at, fmt::format("cannot read the SNI file {}", path.string()));
  }

  std::uint64_t integer(const json& v, const JsonPointer& at, std::uint64_t lo,
                        std::uint64_t hi) const {
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() < lo || v.get<std::uint64_t>() > hi) {
      expected(v, at, fmt::format("an integer in {}..{}", lo, hi));
    }
    return v.get<std::uint64_t>();
  }

  double number(const json& v, const JsonPointer& at, double lo, double hi,
                std::string_view what) const {
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < lo ||
        v.get<double>() > hi) {
      expected(v, at, what);
    }
    return v.get<double>();
  }

  bool boolean(const json& v, const JsonPointer& at) const {
    if (!v.is_boolean()) expected(v, at, "true or false");
    return v.get<bool>();
  }

  Duration duration(const json& v, const JsonPointer& at) const {
    if (v.is_string()) {
      if (auto d = parse_duration(v.get<std::string>())) return *d;
    } else if (v.is_number() && v.get<double>() >= 0 && v.get<double>() <= kMaxScenarioSeconds) {
      return std::chrono::round<Duration>(std::chrono::duration<double>(v.get<double>()));
    }
    expected(v, at, kDurationText);
  }

  Duration positive_duration(const json& v, const JsonPointer& at) const {
    Duration d = duration(v, at);
    if (d <= Duration::zero()) expected(v, at, "a duration > 0");
    return d;
  }

  // A point in scenario time: a UTC calendar time (not before the start) or a duration
  // after the start.
  Duration offset(const json& v, const JsonPointer& at) const {
    constexpr std::string_view what =
        "a UTC time like \"2019-07-21T10:00:00Z\" or a duration after the start";
    if (v.is_string()) {
      const std::string& text = v.get_ref<const std::string&>();
      if (auto t = parse_utc_time(text)) {
        if (*t < start_time_) {
          fail(at, fmt::format("{} is before the scenario's start ({})", text,
                               format_utc_time(start_time_)));
        }
        if (*t - start_time_ >
            std::chrono::seconds(static_cast<std::int64_t>(kMaxScenarioSeconds))) {
          fail(at, "time is too far after the scenario's start");
        }
        return *t - start_time_;
      }
      if (parse_duration(text)) return duration(v, at);
    } else if (v.is_number()) {
      return duration(v, at);
    }
    expected(v, at, what);
  }

  Ipv4Address address(const json& v, const JsonPointer& at) const {
    if (v.is_string()) {
      auto a = Ipv4Address::parse(v.get<std::string>());
      if (a) return *a;
      // The address parser's message starts "IPv4 address '<text>': "; the value is shown anyway.
      std::size_t cut = a.message().find("': ");
      std::string why = cut == std::string::npos ? a.message() : a.message().substr(cut + 3);
      expected(v, at, fmt::format("an IPv4 address like \"92.47.151.210\" ({})", why));
    }
    expected(v, at, "an IPv4 address like \"92.47.151.210\"");
  }

  // --- sections ---

  void read_start(const json& v, const JsonPointer& at) {
    auto t = v.is_string() ? parse_utc_time(v.get<std::string>()) : std::nullopt;
    if (!t) expected(v, at, kUtcText);
    auto whole = std::chrono::floor<std::chrono::seconds>(*t);
    if (whole != *t) expected(v, at, "a UTC time in whole seconds");
    start_time_ = *t;
    s_.start = static_cast<std::time_t>(whole.time_since_epoch().count());
  }

  void read_defaults(const json& v, const JsonPointer& at) {
    check_keys(v, at, {"link", "uplink"});
    if (v.contains("link"))
      default_link_ = link_properties(v.at("link"), at / "link", LinkProperties{});
    if (v.contains("uplink"))
      default_uplink_ = link_properties(v.at("uplink"), at / "uplink", LinkProperties{});
  }

  // The property keys of v over `base`; the caller has checked v's other keys.
  LinkProperties link_properties(const json& v, const JsonPointer& at, LinkProperties base,
                                 bool check = true) const {
    if (check) check_keys(v, at, kLinkPropertyKeys);
    LinkProperties p = base;
    if (v.contains("delay")) p.delay = duration(v.at("delay"), at / "delay");
    if (v.contains("rate")) {
      const json& r = v.at("rate");
      std::optional<std::uint64_t> bps;
      if (r.is_string()) bps = parse_rate(r.get<std::string>());
      if (r.is_number() && r.get<double>() >= 1 && r.get<double>() <= 1e12) {
        bps = static_cast<std::uint64_t>(std::llround(r.get<double>()));
      }
      if (!bps)
        expected(r, at / "rate",
                 "a rate like \"100Mbps\" (bps, kbps, Mbps, Gbps) or a number of bits/s");
      p.rate_bps = *bps;
    }
    if (v.contains("loss"))
      p.loss = number(v.at("loss"), at / "loss", 0, 1, "a probability in [0, 1]");
    if (v.contains("reorder"))
      p.reorder = number(v.at("reorder"), at / "reorder", 0, 1, "a probability in [0, 1]");
    if (v.contains("reorder_delay"))
      p.reorder_delay = positive_duration(v.at("reorder_delay"), at / "reorder_delay");
    if (v.contains("cost"))
      p.cost = static_cast<std::uint32_t>(integer(v.at("cost"), at / "cost", 1, 1'000'000));
    return p;
  }

  LinkProperties uplink(const json& v, const JsonPointer& at) const {
    return v.contains("uplink") ? link_properties(v.at("uplink"), at / "uplink", default_uplink_)
                                : default_uplink_;
  }

  // ["r4", "r5"]: the two routers at the ends of a link.
  std::pair<std::string, std::string> router_pair(const json& v, const JsonPointer& at) const {
    if (!v.is_array() || v.size() != 2) expected(v, at, "two router names like [\"r4\", \"r5\"]");
    return {ident(v[0], at / 0), ident(v[1], at / 1)};
  }

  ScenarioRouter router(const json& v, const JsonPointer& at) const {
    check_keys(v, at, {"name", "address", "as"});
    ScenarioRouter r;
    r.name = ident(required(v, at, "name"), at / "name");
    r.address = address(required(v, at, "address"), at / "address");
    if (v.contains("as")) r.as = text(v.at("as"), at / "as", true);
    return r;
  }

  ScenarioLink link(const json& v, const JsonPointer& at) const {
    check_keys(v, at, {"a", "b"}, kLinkPropertyKeys);
    ScenarioLink l;
    l.a = ident(required(v, at, "a"), at / "a");
    l.b = ident(required(v, at, "b"), at / "b");
    l.properties = link_properties(v, at, default_link_, /*check=*/false);
    return l;
  }

  ScenarioBump bump(const json& v, const JsonPointer& at) const {
    check_keys(v, at, {"name", "link", "engine"});
    ScenarioBump b;
    b.name = ident(required(v, at, "name"), at / "name");
    std::tie(b.a, b.b) = router_pair(required(v, at, "link"), at / "link");
    b.engine =
        engine(v.contains("engine") ? v.at("engine") : json::object(), at / "engine", b.name);
    return b;
  }

  // The engine object goes to parse_engine_config() after two scenario rules: its schedule
  // is in scenario time (origin = the scenario's start), and its roots come from the PKI.
  EngineConfig engine(json v, const JsonPointer& at, const std::string& bump_name) const {
    if (v.is_object() && v.contains("schedule") && v.at("schedule").is_object()) {
      json& schedule = v.at("schedule");
      if (!schedule.contains("origin")) {
        schedule["origin"] = format_utc_time(start_time_);
      } else if (const json& o = schedule.at("origin"); o.is_string()) {
        auto t = parse_utc_time(o.get<std::string>());
        if (t && *t != start_time_) {
          fail(at / "schedule" / "origin",
               fmt::format("the schedule's origin must be the scenario's start ({}) or left out",
                           format_utc_time(start_time_)));
        }
      }
    }
    if (v.is_object() && v.contains("trust_store") && v.at("trust_store").is_array() &&
        !v.at("trust_store").empty()) {
      fail(at / "trust_store",
           "trust_store must be left out: in a scenario the bumps trust the roots named by "
           "/pki/box_trusts");
    }
    constexpr std::string_view kSource = "bump";
    auto config = parse_engine_config(v, kSource);
    if (!config) {
      // "engine config bump: <what> at /x/y, got ..." → "scenario F: <what> at <at>/x/y, got ...".
      std::string m = config.message().substr(fmt::format("engine config {}: ", kSource).size());
      if (std::size_t p = m.find(" at /"); p != std::string::npos) {
        std::size_t ptr = p + 4;
        bool root = ptr + 1 == m.size() || m[ptr + 1] == ',' || m[ptr + 1] == ' ';
        m.replace(ptr, root ? 1 : 0, at.to_string());
        throw ScenarioFault{make_error("scenario {}: {}", source_, m)};
      }
      fail(at, m);
    }
    if (!v.contains("seed")) config->seed = derive_seed(s_.seed, "bump/" + bump_name);
    if (!config->schedule.calendar_origin) config->schedule.calendar_origin = start_time_;
    return std::move(*config);
  }

  ScenarioVantage vantage(const json& v, const JsonPointer& at) const {
    check_keys(v, at, {"name", "kind", "address", "attach", "uplink"});
    ScenarioVantage p;
    p.name = ident(required(v, at, "name"), at / "name");
    if (v.contains("kind")) p.kind = ident(v.at("kind"), at / "kind");
    p.address = address(required(v, at, "address"), at / "address");
    p.attach = ident(required(v, at, "attach"), at / "attach");
    p.uplink = uplink(v, at);
    return p;
  }

  CertKind cert_kind(const json& v, const JsonPointer& at) const {
    auto kind = v.is_string() ? parse_cert_kind(v.get<std::string>()) : std::nullopt;
    if (!kind) {
      expected(
          v, at,
          "a certificate kind: trusted, vhost, self_signed, expired, unknown_root, no_tls or down");
    }
    return *kind;
  }

  ScenarioServer server(const json& v, const JsonPointer& at) const {
    check_keys(v, at, {"name", "address", "attach", "as", "kind", "issuer", "port", "uplink"});
    ScenarioServer s;
    s.name = host_name(required(v, at, "name"), at / "name");
    s.address = address(required(v, at, "address"), at / "address");
    s.attach = ident(required(v, at, "attach"), at / "attach");
    if (v.contains("as")) s.as = text(v.at("as"), at / "as", true);
    if (v.contains("kind")) s.kind = cert_kind(v.at("kind"), at / "kind");
    if (v.contains("issuer")) s.issuer = text(v.at("issuer"), at / "issuer");
    if (v.contains("port"))
      s.port = static_cast<std::uint16_t>(integer(v.at("port"), at / "port", 1, 65535));
    s.uplink = uplink(v, at);
    return s;
  }

  ServerGroup group(const json& v, const JsonPointer& at) const {
    check_keys(v, at, {"name", "count", "as", "attach", "prefix", "domain", "mix", "uplink"});
    ServerGroup g;
    const json& name = required(v, at, "name");
    g.name = name.is_string() ? name.get<std::string>() : std::string();
    if (g.name.find('.') != std::string::npos || !is_host_name(g.name)) {
      expected(name, at / "name",
               "a lower-case DNS label like \"kz-hosts\" (it starts each server's name)");
    }
    g.count = integer(required(v, at, "count"), at / "count", 1, 1'000'000);
    if (v.contains("as")) g.as = text(v.at("as"), at / "as", true);
    g.attach = ident(required(v, at, "attach"), at / "attach");
    const json& prefix = required(v, at, "prefix");
    auto parsed = prefix.is_string() ? Ipv4Prefix::parse(prefix.get<std::string>())
                                     : make_error("not a string");
    if (!parsed)
      expected(prefix, at / "prefix",
               fmt::format("a prefix like \"2.72.0.0/16\" ({})", parsed.message()));
    g.prefix = *parsed;
    g.domain =
        v.contains("domain") ? host_name(v.at("domain"), at / "domain") : g.name + ".example";
    if (v.contains("mix")) {
      const json& mix = v.at("mix");
      if (!mix.is_array() || mix.empty())
        expected(mix, at / "mix", "a non-empty array of {\"kind\", \"weight\"}");
      for (std::size_t i = 0; i < mix.size(); ++i) {
        JsonPointer item_at = at / "mix" / i;
        check_keys(mix[i], item_at, {"kind", "weight"});
        CertMix m;
        m.kind = cert_kind(required(mix[i], item_at, "kind"), item_at / "kind");
        m.weight =
            number(required(mix[i], item_at, "weight"), item_at / "weight", 0, 1e9, "a weight > 0");
        if (m.weight <= 0) expected(mix[i].at("weight"), item_at / "weight", "a weight > 0");
        for (std::size_t j = 0; j < g.mix.size(); ++j) {
          if (g.mix[j].kind == m.kind) {
            fail(item_at / "kind",
                 fmt::format("kind '{}' is listed twice (first as {})", cert_kind_name(m.kind),
                             (at / "mix" / j / "kind").to_string()));
          }
        }
        g.mix.push_back(m);
      }
    } else {
      g.mix.push_back({CertKind::trusted, 1.0});
    }
    g.uplink = uplink(v, at);
    return g;
  }

  void read_pki(const json& v, const JsonPointer& at) {
    check_keys(v, at, {"roots", "client_trusts", "box_trusts", "key"});
    ScenarioPki& pki = s_.pki;
    auto names = [&](const std::string& key) {
      const json& list = v.at(key);
      if (!list.is_array()) expected(list, at / key, "an array of root names");
      std::vector<std::string> out;
      for (std::size_t i = 0; i < list.size(); ++i) {
        out.push_back(text(list[i], at / key / i));
        auto first = std::find(out.begin(), out.end() - 1, out.back());
        if (first != out.end() - 1) {
          fail(at / key / i,
               fmt::format("'{}' is listed twice (first as {})", out.back(),
                           (at / key / static_cast<std::size_t>(first - out.begin())).to_string()));
        }
      }
      return out;
    };
    pki.roots = v.contains("roots") ? names("roots")
                                    : std::vector<std::string>{"mitmlab Fictional Root CA A"};
    if (pki.roots.empty()) expected(v.at("roots"), at / "roots", "at least one root");
    pki.client_trusts = v.contains("client_trusts") ? names("client_trusts") : pki.roots;
    pki.box_trusts = v.contains("box_trusts") ? names("box_trusts") : pki.roots;
    if (v.contains("key")) {
      pki.key = text(v.at("key"), at / "key");
      if (pki.key != "ec-p256" && pki.key != "rsa-2048")
        expected(v.at("key"), at / "key", "\"ec-p256\" or \"rsa-2048\"");
    }
  }

  HostSelector hosts(const json& v, const JsonPointer& at) const {
    check_keys(v, at, {"groups", "servers", "all", "sample", "from_job", "verdict"});
    HostSelector h;
    auto names = [&](const std::string& key) {
      std::vector<std::string> out;
      each(v, at, key,
           [&](const json& item, const JsonPointer& p) { out.push_back(text(item, p)); });
      return out;
    };
    h.groups = names("groups");
    h.servers = names("servers");
    if (v.contains("all")) h.all = boolean(v.at("all"), at / "all");
    if (v.contains("sample")) h.sample = integer(v.at("sample"), at / "sample", 1, 10'000'000);
    if (v.contains("from_job")) h.from_job = ident(v.at("from_job"), at / "from_job");
    if (v.contains("verdict")) {
      h.verdict = text(v.at("verdict"), at / "verdict");
      bool known = false;
      for (Verdict verdict : {Verdict::injected, Verdict::ok, Verdict::tls_failure, Verdict::reset,
                              Verdict::timeout, Verdict::control_failed}) {
        known = known || verdict_name(verdict) == h.verdict;
      }
      if (!known) {
        expected(v.at("verdict"), at / "verdict",
                 "a verdict: injected, ok, tls-failure, reset, timeout or control-failed");
      }
    }
    // The runner takes the union of every source given (sim/host-selection.h); none is a
    // job that measures nothing, surely a mistake.
    if (!h.all && h.groups.empty() && h.servers.empty() && h.from_job.empty()) {
      fail(at, "no hosts chosen: give \"all\": true, \"groups\", \"servers\" or \"from_job\"");
    }
    if (h.from_job.empty() != h.verdict.empty()) {
      fail(at, "\"from_job\" and \"verdict\" go together");
    }
    return h;
  }

  // A job, or with "repeat": {"every": D, "until": T | "count": N} the copies of it at `at`,
  // at + D, ... (up to T inclusive, or N of them), named "<name>-<k>", k from 1, zero-padded
  // to the digits of their number.
  void add_jobs(const json& v, const JsonPointer& at) {
    if (!v.is_object() || !v.contains("repeat")) {
      s_.jobs.push_back(job(v, at));
      return;
    }
    const JsonPointer rat = at / "repeat";
    const json& r = v.at("repeat");
    check_keys(r, rat, {"every", "until", "count"});
    json one = v;
    one.erase("repeat");
    const ScenarioJob first = job(one, at);
    const Duration every = positive_duration(required(r, rat, "every"), rat / "every");
    if (r.contains("until") == r.contains("count")) fail(rat, "give exactly one of \"until\" and \"count\"");
    constexpr std::uint64_t kMaxCopies = 100'000;
    std::uint64_t copies = 0;
    if (r.contains("count")) {
      copies = integer(r.at("count"), rat / "count", 1, kMaxCopies);
    } else {
      const Duration until = offset(r.at("until"), rat / "until");
      if (until < first.at) fail(rat / "until", "is before the job's \"at\"");
      copies = static_cast<std::uint64_t>((until - first.at) / every) + 1;
      if (copies > kMaxCopies) fail(rat / "until", fmt::format("makes more than {} copies", kMaxCopies));
    }
    const std::size_t width = std::to_string(copies).size();
    for (std::uint64_t k = 0; k < copies; ++k) {
      ScenarioJob copy = first;
      copy.name = fmt::format("{}-{:0{}}", first.name, k + 1, width);
      copy.at = first.at + every * static_cast<Duration::rep>(k);
      s_.jobs.push_back(std::move(copy));
    }
  }

  ScenarioJob job(const json& v, const JsonPointer& at) const {
    if (!v.is_object()) expected(v, at, "an object");
    const json& kind = required(v, at, "kind");
    std::string kind_text = kind.is_string() ? kind.get<std::string>() : std::string();
    ScenarioJob j;
    if (kind_text == "scan") {
      j.kind = JobKind::scan;
      check_keys(v, at, {"name", "kind", "at", "vantage"},
                 {"hosts", "snis", "snis_file", "control_sni", "profile", "concurrency", "retries",
                  "timeout", "stop_at"});
    } else if (kind_text == "trace") {
      j.kind = JobKind::trace;
      check_keys(
          v, at, {"name", "kind", "at", "vantage"},
          {"hosts", "sni", "control_sni", "mode", "max_ttl", "rtt_multiplier", "queries", "concurrency"});
    } else if (kind_text == "fetch") {
      j.kind = JobKind::fetch;
      check_keys(v, at, {"name", "kind", "at", "vantage"},
                 {"server", "sni", "path", "trust_fake_root"});
    } else if (kind_text == "fingerprint") {
      j.kind = JobKind::fingerprint;
      check_keys(v, at, {"name", "kind", "at"}, {"server", "duration"});
    } else {
      expected(kind, at / "kind", "\"scan\", \"trace\", \"fetch\" or \"fingerprint\"");
    }
    j.name = ident(required(v, at, "name"), at / "name");
    if (v.contains("at")) j.at = offset(v.at("at"), at / "at");
    if (j.kind != JobKind::fingerprint)
      j.vantage = ident(required(v, at, "vantage"), at / "vantage");
    auto optional_host = [&](const char* key, std::string& field) {
      if (v.contains(key))
        field = v.at(key).is_string() && v.at(key).get_ref<const std::string&>().empty()
                    ? std::string()
                    : host_name(v.at(key), at / key);
    };
    switch (j.kind) {
      case JobKind::scan: {
        ScanJobSpec& scan = j.scan;
        scan.hosts = hosts(required(v, at, "hosts"), at / "hosts");
        if (v.contains("snis") || !v.contains("snis_file"))
          scan.snis = host_names(required(v, at, "snis"), at / "snis");
        if (v.contains("snis_file")) read_snis_file(v.at("snis_file"), at / "snis_file", scan.snis);
        if (scan.snis.empty())
          expected(v.contains("snis") ? v.at("snis") : v.at("snis_file"),
                   at / (v.contains("snis") ? "snis" : "snis_file"), "at least one test SNI");
        optional_host("control_sni", scan.control_sni);
        if (v.contains("profile")) {
          scan.profile = text(v.at("profile"), at / "profile");
          if (auto p = probe_hello_profile(scan.profile); !p) fail(at / "profile", p.message());
        }
        if (v.contains("concurrency"))
          scan.concurrency = integer(v.at("concurrency"), at / "concurrency", 1, 100'000);
        if (v.contains("retries"))
          scan.retries = static_cast<unsigned>(integer(v.at("retries"), at / "retries", 0, 100));
        if (v.contains("timeout"))
          scan.timeout = positive_duration(v.at("timeout"), at / "timeout");
        if (v.contains("stop_at")) {
          const auto stop = probe_stop_named(text(v.at("stop_at"), at / "stop_at"));
          if (!stop)
            expected(v.at("stop_at"), at / "stop_at", "\"finished\" or \"certificate\"");
          scan.stop = *stop;
        }
        break;
      }
      case JobKind::trace: {
        TraceJobSpec& trace = j.trace;
        trace.hosts = hosts(required(v, at, "hosts"), at / "hosts");
        if (v.contains("sni")) trace.sni = host_name(v.at("sni"), at / "sni");
        optional_host("control_sni", trace.control_sni);
        if (v.contains("mode")) {
          trace.mode = text(v.at("mode"), at / "mode");
          if (trace.mode != "raw" && trace.mode != "socket")
            expected(v.at("mode"), at / "mode", "\"raw\" or \"socket\"");
        }
        if (v.contains("max_ttl"))
          trace.max_ttl = static_cast<unsigned>(integer(v.at("max_ttl"), at / "max_ttl", 1, 255));
        if (v.contains("rtt_multiplier")) {
          trace.rtt_multiplier =
              number(v.at("rtt_multiplier"), at / "rtt_multiplier", 0, 100, "a number in (0, 100]");
          if (trace.rtt_multiplier <= 0)
            expected(v.at("rtt_multiplier"), at / "rtt_multiplier", "a number in (0, 100]");
        }
        if (v.contains("queries"))
          trace.queries = static_cast<unsigned>(integer(v.at("queries"), at / "queries", 1, 10));
        if (v.contains("concurrency"))
          trace.concurrency = integer(v.at("concurrency"), at / "concurrency", 1, 100'000);
        break;
      }
      case JobKind::fetch: {
        FetchJobSpec& fetch = j.fetch;
        fetch.server = host_name(required(v, at, "server"), at / "server");
        fetch.sni = v.contains("sni") ? host_name(v.at("sni"), at / "sni") : fetch.server;
        if (v.contains("path")) {
          fetch.path = text(v.at("path"), at / "path");
          if (fetch.path[0] != '/') expected(v.at("path"), at / "path", "a path starting with '/'");
        }
        if (v.contains("trust_fake_root"))
          fetch.trust_fake_root = boolean(v.at("trust_fake_root"), at / "trust_fake_root");
        break;
      }
      case JobKind::fingerprint: {
        j.fingerprint.server = host_name(required(v, at, "server"), at / "server");
        if (v.contains("duration"))
          j.fingerprint.duration = positive_duration(v.at("duration"), at / "duration");
        break;
      }
    }
    return j;
  }

  std::string_view source_;
  Scenario& s_;
  UtcTime start_time_{};
  LinkProperties default_link_;
  LinkProperties default_uplink_;
};

}  // namespace

void scenario_fail(std::string_view source, const JsonPointer& at, std::string_view what) {
  std::string where = at.empty() ? "/" : at.to_string();
  throw ScenarioFault{make_error("scenario {}: {} at {}", source, what, where)};
}

void read_scenario_json(const nlohmann::json& doc, std::string_view source, Scenario& out) {
  Reader(source, out).read(doc);
}

}  // namespace mitmlab
