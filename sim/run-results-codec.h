// The hand-over format of a shard's RunResults (sim/sharded-run.h): every field, losslessly,
// in the binary form of sim/hand-over-encoding.h (each repeated certificate once). Internal:
// both ends are the same binary, so fields are positional and enums their numbers. Not the
// user-facing JSON of the result files (scan.jsonl etc.), which leaves fields out.
#pragma once

#include "net/bytes.h"
#include "net/result.h"
#include "sim/run-results.h"

namespace mitmlab {

Bytes encode_run_results(const RunResults& results);
// An error naming what is wrong for bytes that are not such an encoding; never throws.
Result<RunResults> decode_run_results(ByteView bytes);

}  // namespace mitmlab
