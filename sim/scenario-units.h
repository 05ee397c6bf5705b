// The units a scenario file writes quantities in: durations ("5ms", "1.5s", "2h") and link
// rates ("100Mbps"). Kept apart from the JSON reader so the CLI can accept the same
// spellings on its command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "net/clock.h"

namespace mitmlab {

// The largest duration a scenario may state: a billion seconds (~31 years) keeps every
// sum of durations far from int64 nanosecond overflow.
inline constexpr double kMaxScenarioSeconds = 1e9;

// A non-negative decimal number followed directly by a unit: ns, us, ms, s, min, h, d
// ("250us", "1.5s", "2h"). No sign, no space, no exponent; "m" alone is refused because
// it reads as milli- as easily as minute.
std::optional<Duration> parse_duration(std::string_view text);

// A positive decimal number followed directly by bps, kbps, Mbps or Gbps (decimal
// multiples: 1kbps = 1000 bit/s), rounded to whole bits per second.
std::optional<std::uint64_t> parse_rate(std::string_view text);

}  // namespace mitmlab
