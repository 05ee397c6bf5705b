// The throwaway PKI now lives in sim/lab-pki.h (the `bench engine` command uses it too);
// the tests keep their spelling.
#pragma once

#include "sim/lab-pki.h"

namespace mitmlab::test {
using mitmlab::make_test_ca;
using mitmlab::make_test_leaf;
using mitmlab::make_trust_store;
using mitmlab::TestCa;
}  // namespace mitmlab::test
