// The localizer's verdict rules (scanner/localizer.h's header comment), apart from the
// sweeps so they can be read and tested as a table: from the two sweeps of a TraceResult,
// fill in injection_ttl, server_ttl, hop_before, hop_after, hops_before_server, the merged
// hop list and the verdict.
//
// Where the header leaves room, these rules hold:
//  - "the answers differ" at n == m means the leaf SHA-256s differ, an unread leaf ("")
//    included: a RST to the test against a certificate for the control differs.
//  - hop_before (the test sweep's ICMP source at TTL n-1) and hop_after (the control
//    sweep's at TTL n) are filled for "at-server" too, as is hops_before_server = 0;
//    all three stay empty for "no-injection" and "unreachable".
//  - The merged list has every TTL either sweep tried; its address is the control's where
//    the control saw one, else the test's; `answered` is set where either sweep was answered.
#pragma once

#include <string_view>

#include "scanner/localizer.h"

namespace mitmlab {

namespace trace_verdict {
inline constexpr std::string_view kInjectedBeforeServer = "injected-before-server";
inline constexpr std::string_view kAtServer = "at-server";
inline constexpr std::string_view kNoInjection = "no-injection";
inline constexpr std::string_view kUnreachable = "unreachable";
}  // namespace trace_verdict

// Reads result.test and result.control; writes everything else they determine.
void judge_trace(TraceResult& result);

// All TTLs of both sweeps, merged as described above.
std::vector<TraceHop> merge_hops(const TraceSweep& test, const TraceSweep& control);

}  // namespace mitmlab
