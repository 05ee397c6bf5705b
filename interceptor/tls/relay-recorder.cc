#include "interceptor/tls/relay-recorder.h"

#include <algorithm>
#include <cctype>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace mitmlab {

namespace {

// Whether a first line is still possible (ok), and whether it is all there (complete).
struct LineScan {
  bool ok = false;
  bool complete = false;
};

bool is_tchar(char c) {  // RFC 9110 §5.6.2 token characters
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "HTTP/d.d" or a prefix of it; complete when all 8 characters are there.
LineScan scan_version(std::string_view s, bool must_end) {
  constexpr std::string_view pattern = "HTTP/0.0";
  for (std::size_t i = 0; i < s.size() && i < pattern.size(); ++i) {
    bool ok = pattern[i] == '0' ? is_digit(s[i]) : s[i] == pattern[i];
    if (!ok) return {};
  }
  if (s.size() < pattern.size()) return {true, false};
  if (must_end && s.size() > pattern.size()) return {};
  return {true, true};
}

// method SP request-target SP HTTP-version (RFC 9112 §3), or a prefix of it.
LineScan scan_request_line(std::string_view s) {
  constexpr std::size_t kMaxMethod = 32;  // the longest registered method is 17
  std::size_t i = 0;
  while (i < s.size() && is_tchar(s[i])) ++i;
  if (i > kMaxMethod) return {};
  if (i == s.size()) return {true, false};
  if (i == 0 || s[i] != ' ') return {};
  std::size_t target = ++i;
  while (i < s.size() && s[i] > 0x20 && s[i] < 0x7f) ++i;
  if (i == s.size()) return {true, false};
  if (i == target || s[i] != ' ') return {};
  return scan_version(s.substr(i + 1), true);
}

// HTTP-version SP 3DIGIT [SP reason-phrase] (RFC 9112 §4), or a prefix of it.
LineScan scan_status_line(std::string_view s) {
  LineScan v = scan_version(s.substr(0, std::min<std::size_t>(s.size(), 8)), true);
  if (!v.ok || !v.complete) return v;
  std::string_view rest = s.substr(8);
  if (rest.empty()) return {true, false};
  if (rest[0] != ' ') return {};
  for (std::size_t i = 1; i < rest.size() && i <= 3; ++i)
    if (!is_digit(rest[i])) return {};
  if (rest.size() < 4) return {true, false};
  if (rest.size() > 4 && rest[4] != ' ') return {};
  return {true, true};
}

std::string_view strip_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The first-line verdict shared by both directions. Returns the line when it is complete.
template <typename Scan>
std::optional<std::string_view> first_line(std::string_view head, std::size_t cap, Scan scan,
                                           HttpHeadStatus& status, bool& settled) {
  std::size_t eol = head.find('\n');
  bool whole = eol != std::string_view::npos;
  std::string_view line = whole ? strip_cr(head.substr(0, eol)) : strip_cr(head);
  // Before the line ends, reject what cannot become HTTP at once: a TLS record or a binary
  // protocol is recognised from its first bytes, not after head_cap of them.
  LineScan s = scan(line);
  if (!s.ok || (whole && !s.complete)) {
    status = HttpHeadStatus::not_http;
    settled = true;
    return std::nullopt;
  }
  if (eol == std::string_view::npos) {
    if (head.size() >= cap) {
      status = HttpHeadStatus::too_long;
      settled = true;
    }
    return std::nullopt;
  }
  status = HttpHeadStatus::http;
  return line;
}

}  // namespace

std::string_view http_head_status_name(HttpHeadStatus status) {
  switch (status) {
    case HttpHeadStatus::incomplete: return "incomplete";
    case HttpHeadStatus::http: return "http";
    case HttpHeadStatus::not_http: return "not_http";
    case HttpHeadStatus::too_long: return "too_long";
  }
  return "unknown";
}

std::string escape_printable(ByteView bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::uint8_t b : bytes) {
    if (b == '\\') out += "\\\\";
    else if (b == '\r') out += "\\r";
    else if (b == '\n') out += "\\n";
    else if (b == '\t') out += "\\t";
    else if (b >= 0x20 && b < 0x7f) out += static_cast<char>(b);
    else out += fmt::format("\\x{:02x}", b);
  }
  return out;
}

void to_json(nlohmann::json& j, const RelayRecord& r) {
  auto opt = [](const std::optional<std::string>& s) {
    return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
  };
  j = nlohmann::json{
      {"request_status", http_head_status_name(r.request_status)},
      {"request_line", opt(r.request_line)},
      {"host", opt(r.host)},
      {"response_status", http_head_status_name(r.response_status)},
      {"status_line", opt(r.status_line)},
      {"client_to_server_bytes", r.client_to_server_bytes},
      {"server_to_client_bytes", r.server_to_client_bytes},
      {"client_to_server_excerpt", r.client_to_server_excerpt},
      {"server_to_client_excerpt", r.server_to_client_excerpt},
  };
}

RelayRecorder::RelayRecorder(RelayRecorderLimits limits) : limits_(limits) {
  limits_.excerpt_bytes = std::min(limits_.excerpt_bytes, limits_.head_cap);
}

void RelayRecorder::append(Direction& d, ByteView in) {
  std::size_t room = limits_.head_cap - d.head.size();
  d.head.insert(d.head.end(), in.begin(), in.begin() + std::min(room, in.size()));
}

void RelayRecorder::on_client_to_server(ByteView plaintext) {
  record_.client_to_server_bytes += plaintext.size();
  std::size_t before = request_.head.size();
  append(request_, plaintext);
  if (before < limits_.excerpt_bytes) {
    std::size_t end = std::min(request_.head.size(), limits_.excerpt_bytes);
    record_.client_to_server_excerpt +=
        escape_printable(ByteView(request_.head).subspan(before, end - before));
  }
  if (request_.head.size() > before) update_request();
}

void RelayRecorder::on_server_to_client(ByteView plaintext) {
  record_.server_to_client_bytes += plaintext.size();
  std::size_t before = response_.head.size();
  append(response_, plaintext);
  if (before < limits_.excerpt_bytes) {
    std::size_t end = std::min(response_.head.size(), limits_.excerpt_bytes);
    record_.server_to_client_excerpt +=
        escape_printable(ByteView(response_.head).subspan(before, end - before));
  }
  if (response_.head.size() > before) update_response();
}

// Re-reads the bounded head from the start: at most head_cap bytes per call, and calls stop
// once the head is settled or full.
void RelayRecorder::update_request() {
  if (request_.settled) return;
  std::string_view head = as_chars(request_.head);
  auto line = first_line(head, limits_.head_cap, scan_request_line, record_.request_status,
                         request_.settled);
  if (!line) return;
  record_.request_line = std::string(*line);
  // Header fields until the blank line; the first Host wins (RFC 9112 §3.2: a request
  // with several is invalid anyway).
  std::size_t pos = head.find('\n') + 1;
  for (;;) {
    std::size_t eol = head.find('\n', pos);
    if (eol == std::string_view::npos) {
      if (head.size() >= limits_.head_cap) request_.settled = true;  // Host beyond the cap
      return;
    }
    std::string_view field = strip_cr(head.substr(pos, eol - pos));
    if (field.empty()) {
      request_.settled = true;  // end of the head, no Host
      return;
    }
    std::size_t colon = field.find(':');
    if (colon != std::string_view::npos && iequals(field.substr(0, colon), "host")) {
      record_.host = escape_printable(as_bytes(trim(field.substr(colon + 1))));
      request_.settled = true;
      return;
    }
    pos = eol + 1;
  }
}

void RelayRecorder::update_response() {
  if (response_.settled) return;
  std::string_view head = as_chars(response_.head);
  auto line = first_line(head, limits_.head_cap, scan_status_line, record_.response_status,
                         response_.settled);
  if (!line) return;
  record_.status_line = escape_printable(as_bytes(*line));
  response_.settled = true;
}

}  // namespace mitmlab
