// Builds what an Engine is given (EngineDependencies) from its configuration alone: the
// fake authority of `forging_profile` keyed by `seed`, a Forger over it, and a judge whose
// roots are the `trust_store` entries (PEM file paths or inline PEM). A scenario runner or a
// live front end calls this once and may share the result between engines of one run.
#pragma once

#include "interceptor/engine-config.h"
#include "interceptor/engine.h"
#include "interceptor/forge/fake-authority.h"
#include "net/result.h"

namespace mitmlab {

// Errors name the part that failed: an unknown profile, an unreadable trust store file, a
// PEM block that does not parse. An empty trust_store gives no judge (decide-only, see
// engine.h): the caller supplies one. `keys` plugs in a KeyCache (forge/key-cache.h).
Result<EngineDependencies> make_engine_dependencies(const EngineConfig& config, const KeySource& keys = {});

}  // namespace mitmlab
