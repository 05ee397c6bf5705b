// The 37 SNI values the 2019 Kazakhstan box intercepted (facts.md §2), the default target
// list of EngineConfig. Kept apart from the configuration code so the list can be read and
// reviewed against its source in one place.
#pragma once

#include <span>
#include <string_view>

namespace mitmlab {

// Lower case, no trailing dot, in the order the report lists them (alphabetical).
std::span<const std::string_view> default_targets();

}  // namespace mitmlab
