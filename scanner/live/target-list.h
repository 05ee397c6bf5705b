// The target list of a live scan: one host per line, "ADDRESS" or "ADDRESS:PORT" (IPv6 as
// "ADDRESS" or "[ADDRESS]:PORT"); numeric addresses only; '#' starts a comment; blank lines
// are skipped. Errors name the line.
#pragma once

#include <cstdint>
#include <ctime>
#include <string_view>
#include <vector>

#include "net/result.h"
#include "scanner/scan.h"

namespace mitmlab {

Result<std::vector<ScanHost>> parse_target_list(std::string_view text, std::uint16_t default_port);

// "now" (the OS clock: only the live front end calls this), "YYYY-MM-DD" (00:00:00Z) or
// "YYYY-MM-DDTHH:MM:SSZ".
Result<std::time_t> parse_calendar_time(std::string_view text);

}  // namespace mitmlab
