// The chain world now lives in sim/chain-topology.h (the `bench engine` command builds it
// too); the tests keep their spelling.
#pragma once

#include "sim/chain-topology.h"

namespace mitmlab::test {
using mitmlab::BuildChainTopology;
using mitmlab::ChainTopology;
}  // namespace mitmlab::test
