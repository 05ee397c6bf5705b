#include "scanner/live/target-list.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>
#include <string>

namespace mitmlab {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool is_ipv4(const std::string& a) {
  in_addr v4{};
  return inet_pton(AF_INET, a.c_str(), &v4) == 1;
}
bool is_ipv6(const std::string& a) {
  in6_addr v6{};
  return inet_pton(AF_INET6, a.c_str(), &v6) == 1;
}

}  // namespace

Result<std::vector<ScanHost>> parse_target_list(std::string_view text, std::uint16_t default_port) {
  std::vector<ScanHost> hosts;
  std::size_t line_no = 0;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_no;
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    ScanHost host;
    host.port = default_port;
    std::string_view port_text;
    if (line.front() == '[') {
      auto close = line.find(']');
      if (close == std::string_view::npos)
        return make_error("line {}: '{}': missing ']'", line_no, line);
      host.address = std::string(line.substr(1, close - 1));
      std::string_view rest = line.substr(close + 1);
      if (!rest.empty()) {
        if (rest.front() != ':')
          return make_error("line {}: '{}': expected ':PORT'", line_no, line);
        port_text = rest.substr(1);
      }
      if (!is_ipv6(host.address))
        return make_error("line {}: '{}': not an IPv6 address", line_no, host.address);
    } else if (std::string whole(line); is_ipv6(whole)) {
      host.address = whole;
    } else {
      auto colon = line.rfind(':');
      host.address = std::string(line.substr(0, colon));
      if (colon != std::string_view::npos) port_text = line.substr(colon + 1);
      if (!is_ipv4(host.address))
        return make_error("line {}: '{}': not a numeric IPv4 or IPv6 address", line_no,
                          host.address);
    }
    if (!port_text.empty() || (line.back() == ':')) {
      unsigned port = 0;
      auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
      if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || port == 0 ||
          port > 65535)
        return make_error("line {}: bad port '{}'", line_no, port_text);
      host.port = static_cast<std::uint16_t>(port);
    }
    hosts.push_back(std::move(host));
  }
  if (hosts.empty()) return make_error("no targets (every line is blank or a comment)");
  return hosts;
}

Result<std::time_t> parse_calendar_time(std::string_view text) {
  if (text == "now") return std::time(nullptr);
  std::tm tm{};
  std::string s(text);
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) == 6 &&
      consumed == static_cast<int>(s.size())) {
  } else if (tm = std::tm{}; std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon,
                                         &tm.tm_mday, &consumed) == 3 &&
                             consumed == static_cast<int>(s.size())) {
  } else {
    return make_error("bad time '{}' (now, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)", text);
  }
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60)
    return make_error("bad time '{}': field out of range", text);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return timegm(&tm);
}

}  // namespace mitmlab
