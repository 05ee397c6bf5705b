// The live driver of a socket-mode Localizer (Linux): a nonblocking kernel TCP socket per
// ConnectAction, epoll and a steady clock, in the style of epoll-transport. SendAction.ttl
// becomes IP_TTL on the socket before its bytes are written.
//
// ICMP errors reach the localizer with the router's address two ways:
//  - IP_RECVERR on every socket: while a socket connects, Linux queues the ICMP error with
//    its offender (SO_EE_OFFENDER), read with MSG_ERRQUEUE.
//  - a raw ICMP socket: once a TCP socket is established, Linux queues nothing (tcp_v4_err
//    only sets a soft error, EHOSTUNREACH, without the sender), so the errors the
//    TTL-limited ClientHello draws are read raw and matched to the connection by the TCP
//    ports and address they quote. That needs CAP_NET_RAW; without it the trace still finds
//    the TTLs at which answers came (injection_ttl, server_ttl) but its hops stay "*", and
//    LiveTraceStats::icmp_unavailable says why.
#pragma once

#include "net/result.h"
#include "scanner/live/trace-loop.h"
#include "scanner/localizer.h"

namespace mitmlab {

// Runs `localizer` (socket mode) to the end; localizer.start() is called here. An error
// only for a local failure (epoll) or a stop request; network failures are the trace's.
Result<LiveTraceStats> run_socket_trace(Localizer& localizer, const LiveTraceOptions& options);

}  // namespace mitmlab
