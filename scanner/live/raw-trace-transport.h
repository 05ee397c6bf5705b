// The live driver of a raw-mode Localizer (Linux, CAP_NET_RAW), the 2019 authors' method:
// each RawPacketAction goes out whole through a raw IPPROTO_RAW socket; the TCP and ICMP
// packets addressed to the localizer's local_address come back through raw IPPROTO_TCP and
// IPPROTO_ICMP sockets and are handed whole to on_packet (TCP only for the localizer's
// source ports, from first_source_port up).
//
// The kernel sees the hosts' SYN-ACKs for connections it does not know and would answer
// them with RSTs: those must not leave (scanner/live/rst-firewall.h, the trace command's
// --manage-firewall). The packets this driver sends carry kRawTraceMark (SO_MARK, when the
// process may set it) so the firewall rule spares the localizer's own RSTs.
#pragma once

#include <cstdint>

#include "net/ipv4-address.h"
#include "net/result.h"
#include "scanner/live/trace-loop.h"
#include "scanner/localizer.h"

namespace mitmlab {

inline constexpr std::uint32_t kRawTraceMark = 0x6d6c;  // "ml"

// Runs `localizer` (raw mode) to the end; localizer.start() is called here. An error when
// the raw sockets cannot be opened (the message names CAP_NET_RAW on EPERM), for epoll, or
// for a stop request.
Result<LiveTraceStats> run_raw_trace(Localizer& localizer, const LiveTraceOptions& options);

// The address the kernel would send from to reach `target`: the name of a UDP socket
// connected to it (connect sends nothing). An error when there is no route.
Result<Ipv4Address> local_address_for(Ipv4Address target);

// A first source port for raw connections outside the kernel's ephemeral range
// (/proc/sys/net/ipv4/ip_local_port_range), so the RST rule touches no kernel connection:
// one above its upper end when at least 1000 ports remain above it, else `fallback`.
std::uint16_t first_port_above_ephemeral(std::uint16_t fallback = 40000);

}  // namespace mitmlab
