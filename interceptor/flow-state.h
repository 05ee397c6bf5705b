// What the engine knows about one tracked TCP flow: the handshake as seen on the wire (each
// end's ISN, options, last window and TSval clock), where the flow is in its life (a named
// phase), and the client segments held while the ClientHello is incomplete or its origin
// is being checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "interceptor/bump-io.h"
#include "interceptor/pass-reason.h"
#include "interceptor/tcp/tcp-timestamp-clock.h"
#include "net/bytes.h"
#include "net/client-hello-reassembler.h"
#include "net/clock.h"

namespace mitmlab {

struct HijackState;  // interceptor/hijack-state.h: the two legs of a taken-over flow

enum class FlowPhase : std::uint8_t {
  kSynSeen,         // the client's SYN passed; waiting for the SYN-ACK
  kSynAckSeen,      // the server's SYN-ACK passed; waiting for the client's ACK
  kAwaitingHello,   // established; client payload goes to the ClientHello reassembler
  kCheckingOrigin,  // a target: the hello is held while the origin's certificate is judged
  kPassthrough,     // decided not to touch it: every packet is forwarded
  kHijacked,        // both legs are the box's; no packet of the flow is forwarded
  kClosing,         // both FINs or a RST passed; lingering so stray segments find the flow
};

std::string_view flow_phase_name(FlowPhase phase);

// One end of the connection as seen from the wire.
struct EndTrack {
  std::uint32_t isn = 0;
  std::uint32_t next_seq = 0;  // one past the highest sequence number this end has sent
  std::uint32_t last_ack = 0;  // its latest acknowledgement number (valid once acked)
  bool acked = false;
  std::uint16_t window_field = 0;  // latest window field, unscaled
  bool window_in_syn = false;      // it came in a SYN or SYN-ACK, where it is never scaled
  std::optional<std::uint16_t> mss;
  std::optional<std::uint8_t> window_scale;  // offered in its SYN / SYN-ACK
  bool sack_permitted = false;
  bool fin_seen = false;
  // Its latest TSval and when the box saw it: continuing this clock lets the box speak
  // for this end without its peer's PAWS check dropping the segments.
  std::optional<TcpTimestampClock> clock;
};

// Client segments the box keeps back (dropped and kept) until it has decided.
struct HeldHello {
  ClientHelloReassembler reassembler;
  std::uint32_t stream_next = 0;  // next in-order client sequence number
  std::vector<Bytes> packets;     // whole datagrams, in arrival order
  std::size_t bytes = 0;          // their payload bytes
  std::optional<std::string> sni;

  explicit HeldHello(std::size_t cap) : reassembler(cap) {}
};

struct FlowState {
  FlowPhase phase = FlowPhase::kSynSeen;
  LinkSide client_side = LinkSide::kA;  // the side the SYN came from
  EndTrack client;
  EndTrack server;
  Timestamp syn_time{};
  std::unique_ptr<HeldHello> held;      // from the first client payload until the decision
  std::optional<std::string> sni;       // once the hello parsed
  std::optional<PassReason> pass_reason;  // why a passthrough flow is passed
  std::shared_ptr<HijackState> hijack;  // kHijacked only
  bool was_hijacked = false;  // closing after a hijack: stray segments are not forwarded
};

}  // namespace mitmlab
