// The ns-3 settings every mitmlab world runs with, in one place so the chain topology and
// the scenario world cannot drift apart: checksums on (ns-3 then drops bad ones, which
// catches bugs in built packets), TCP segments of 1448 bytes (ns-3 sends no MSS option),
// and a one-second MaxSegLifetime so closed sockets leave TIME_WAIT (2 x MSL) quickly
// instead of slowing every endpoint lookup.
#pragma once

namespace mitmlab {

// Sets the defaults above; call before any node or socket is created.
void ApplyNs3Defaults();

}  // namespace mitmlab
