// What the relay writes to the event log about an intercepted flow's plaintext: the first
// HTTP request line and Host header (the ground truth of what the box could read), the
// response's status line, byte counts each way, and a short escaped excerpt of each
// direction. Bounded: only the first `head_cap` bytes of each direction are ever kept or
// parsed, so a huge or hostile stream costs the same as a small one. Input may arrive in
// any pieces and need not be HTTP at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "net/bytes.h"

namespace mitmlab {

struct RelayRecorderLimits {
  std::size_t head_cap = 8 * 1024;  // bytes per direction kept to find the HTTP head
  std::size_t excerpt_bytes = 256;  // bytes per direction kept for the excerpt (<= head_cap)
};

enum class HttpHeadStatus {
  incomplete,  // no whole first line yet, and it could still be HTTP
  http,        // the first line is a valid request line (or status line)
  not_http,    // the bytes cannot start an HTTP/1.x message
  too_long,    // no end of the first line within head_cap
};
std::string_view http_head_status_name(HttpHeadStatus status);

struct RelayRecord {
  HttpHeadStatus request_status = HttpHeadStatus::incomplete;
  std::optional<std::string> request_line;  // "GET /path HTTP/1.1", without CRLF
  std::optional<std::string> host;          // first Host header's value, trimmed, escaped
  HttpHeadStatus response_status = HttpHeadStatus::incomplete;
  std::optional<std::string> status_line;   // "HTTP/1.1 200 OK", escaped
  std::uint64_t client_to_server_bytes = 0;
  std::uint64_t server_to_client_bytes = 0;
  // The first excerpt_bytes of each direction; printable ASCII as is, '\\' doubled,
  // \r \n \t, anything else \xHH: always valid UTF-8 and one line in a JSON log.
  std::string client_to_server_excerpt;
  std::string server_to_client_excerpt;
};

// Keys: request_status, request_line, host, response_status, status_line (null when
// absent), client_to_server_bytes, server_to_client_bytes, client_to_server_excerpt,
// server_to_client_excerpt.
void to_json(nlohmann::json& j, const RelayRecord& record);

// Escapes bytes as the excerpts above are escaped.
std::string escape_printable(ByteView bytes);

class RelayRecorder {
 public:
  explicit RelayRecorder(RelayRecorderLimits limits = {});

  void on_client_to_server(ByteView plaintext);
  void on_server_to_client(ByteView plaintext);

  const RelayRecord& record() const { return record_; }

 private:
  // One direction's bounded head and what has been decided about it.
  struct Direction {
    Bytes head;                // first head_cap bytes
    bool settled = false;      // nothing more to learn from further bytes
  };
  void update_request();
  void update_response();
  void append(Direction& d, ByteView in);

  RelayRecorderLimits limits_;
  Direction request_;
  Direction response_;
  RelayRecord record_;
};

}  // namespace mitmlab
