// What a TcpEndpoint is told before it starts: its addresses, its limits, and for the two
// ways to start, the state it adopts or the values it opens with.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "interceptor/tcp/tcp-timestamp-clock.h"
#include "net/clock.h"
#include "net/ipv4-address.h"

namespace mitmlab {

// Our address and port, and the peer's. The endpoint does not filter by them: routing a
// segment to the right endpoint is the caller's business.
struct TcpAddressPair {
  Ipv4Address local{};
  std::uint16_t local_port = 0;
  Ipv4Address remote{};
  std::uint16_t remote_port = 0;
};

struct TcpEndpointConfig {
  std::uint8_t ttl = 64;  // of every datagram we emit
  // IPv4 identification of our first datagram, incremented per datagram (DF is set, so the
  // value only matters to observers; the engine may continue the impersonated host's).
  std::uint16_t first_ip_id = 0;
  // MSS option in our SYN: a 1500-byte MTU minus 40 bytes of headers.
  std::uint16_t mss_option = 1460;
  // Our own cap on the payload of one segment.
  std::size_t max_segment_payload = 1448;
  // Payload per segment when the peer announced no MSS (ns-3 by default; its SegmentSize).
  std::size_t default_peer_payload = 1448;
  // Offered by connect()/accept(); adopt() takes what the handshake negotiated instead.
  bool window_scaling = true;     // offer the window scale option at all
  std::uint8_t window_shift = 2;  // ns-3's and Linux's usual shift at these buffer sizes
  bool timestamps = true;
  bool sack = true;
  // Bytes send() accepts but the peer has not acknowledged.
  std::size_t send_buffer_bytes = 256 * 1024;
  // In-order bytes not read yet; the window we advertise is what is left of it.
  std::size_t receive_buffer_bytes = 256 * 1024;
  // Out-of-order bytes held; a segment that would pass it is dropped (and counted).
  std::size_t reassembly_cap_bytes = 128 * 1024;
  Duration initial_rto = std::chrono::seconds(1);  // RFC 6298 2.1
  Duration min_rto = std::chrono::seconds(1);      // ns-3's MinRto; Linux uses 200 ms
  Duration max_rto = std::chrono::seconds(60);
  // Consecutive timer expiries without progress before giving up with kTimeout (ns-3's
  // DataRetries and SynRetries default to 6).
  unsigned max_retransmissions = 6;
  unsigned initial_cwnd_segments = 10;  // IW10, RFC 6928
  // How long TIME_WAIT lingers to re-ACK a repeated FIN before the endpoint reports Closed;
  // each repeated FIN restarts it. Zero closes at once. Much shorter than 2 MSL (the box owns
  // no port to protect from reuse) but longer than a peer's RTO after a few backoffs (1 + 2 +
  // 4 s), so a lost last ACK is answered when the FIN comes again. For relaying, TimeWait is
  // already "done": both directions ended.
  Duration time_wait = std::chrono::seconds(10);
};

// One side of an established connection, as a tracker saw its handshake and traffic. The
// endpoint continues that side's sequence and timestamp spaces toward the peer.
struct AdoptedState {
  std::uint32_t snd_nxt = 0;  // first sequence number the impersonated side has not sent
  // Oldest byte the impersonated side sent that the peer has not acknowledged. Bytes in
  // [snd_una, snd_nxt) are not held by us and are never retransmitted; the interceptor
  // adopts before any such bytes exist, so normally snd_una == snd_nxt.
  std::uint32_t snd_una = 0;
  std::uint32_t rcv_nxt = 0;  // next byte expected from the peer
  // The peer's last advertised window in bytes: the field shifted by the peer's shift, or the
  // field as is when it came in a SYN or SYN-ACK (never scaled there).
  std::size_t peer_window = 65535;
  std::uint8_t peer_window_shift = 0;  // the peer's negotiated shift (0 if none)
  std::uint8_t our_window_shift = 0;   // the impersonated side's negotiated shift
  // The MSS option the peer sent in its SYN or SYN-ACK; none means config.default_peer_payload.
  std::optional<std::uint16_t> peer_mss{};
  bool sack_permitted = false;
  bool timestamps = false;
  TcpTimestampClock clock{};           // the impersonated side's TSval clock
  std::uint32_t ts_recent = 0;         // last TSval from the peer, echoed as TSecr
  std::optional<Duration> rtt_hint{};  // e.g. the handshake's RTT, to start the RTO from
};

// For connect() and accept(): our initial sequence number and timestamp clock.
struct TcpOpenOptions {
  std::uint32_t isn = 0;
  TcpTimestampClock clock{};  // default: TSval = milliseconds since time zero, as ns-3
};

// Every count a test or the engine's event log may want.
struct TcpCounters {
  std::uint64_t segments_sent = 0;
  std::uint64_t segments_received = 0;
  std::uint64_t retransmissions = 0;  // segments sent again (after a timeout, fast retransmit, SYN)
  std::uint64_t timeouts = 0;         // retransmission timer expiries that went back to snd_una
  std::uint64_t fast_retransmits = 0;
  std::uint64_t window_probes = 0;  // one byte sent past a zero window by the persist timer
  std::uint64_t duplicates = 0;     // segments bringing no new byte; re-ACKed
  std::uint64_t out_of_order_buffered = 0;
  std::uint64_t out_of_order_dropped = 0;  // refused by the reassembly cap
  std::uint64_t out_of_window = 0;   // starting beyond the receive window (or an unexpected SYN)
  std::uint64_t ack_of_unsent = 0;   // acknowledging bytes we never sent
  std::uint64_t old_acks = 0;        // acknowledgement far behind snd_una
  std::uint64_t rst_ignored = 0;     // RST outside the receive window
  std::uint64_t ignored = 0;         // no ACK flag, or no connection to take it
  std::uint64_t malformed = 0;       // on_datagram: unparsable or bad TCP checksum
  std::uint64_t bytes_sent = 0;      // new payload bytes (retransmissions not included)
  std::uint64_t bytes_received = 0;  // payload bytes delivered in order
};

}  // namespace mitmlab
