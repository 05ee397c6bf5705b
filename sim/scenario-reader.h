// Internal to the scenario parser (sim/scenario*.cc): the two passes behind
// parse_scenario(). read_scenario_json() turns the document into a Scenario, checking each
// field on its own (types, units, ranges, spellings); check_scenario() then checks what
// spans fields (names that refer to each other, unique addresses, a connected graph) and
// expands the server groups.
//
// Both report the first problem by throwing ScenarioFault, which parse_scenario() turns
// into its Result. Why not Result<T> all the way: a scenario has some sixty fields, and
// one throw point per check keeps each field to one readable line. Nothing else throws it,
// and it never leaves parse_scenario().
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "net/result.h"
#include "sim/scenario.h"

namespace mitmlab {

struct ScenarioFault {
  Error error;
};

using JsonPointer = nlohmann::json::json_pointer;

// Throws "scenario <source>: <what> at <pointer>".
[[noreturn]] void scenario_fail(std::string_view source, const JsonPointer& at,
                                std::string_view what);

// Reads every field; `source` names the input in errors.
void read_scenario_json(const nlohmann::json& doc, std::string_view source, Scenario& out);

// Cross-field checks, then the group expansion (appends the groups' servers).
void check_scenario(std::string_view source, Scenario& scenario);

}  // namespace mitmlab
