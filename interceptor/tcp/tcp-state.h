// The named states of one TCP endpoint (RFC 9293 section 3.3.2) and why it closed.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string_view>

namespace mitmlab {

enum class TcpState : std::uint8_t {
  kIdle,         // constructed, neither adopted nor opened
  kSynSent,      // connect(): our SYN is out, waiting for the SYN-ACK
  kSynReceived,  // accept(): our SYN-ACK is out, waiting for the ACK of it
  kEstablished,
  kFinWait1,   // we closed; our FIN is not acknowledged yet
  kFinWait2,   // our FIN is acknowledged; waiting for the peer's
  kCloseWait,  // the peer closed; we may still send
  kLastAck,    // both closed, the peer's FIN first; waiting for the ACK of ours
  kClosing,    // simultaneous close: both FINs crossed; waiting for the ACK of ours
  kTimeWait,   // both FINs exchanged and acknowledged; lingering to re-ACK a repeated FIN
  kClosed,
};

enum class TcpCloseReason : std::uint8_t {
  kNone,     // not closed
  kNormal,   // FINs exchanged both ways
  kReset,    // the peer sent an acceptable RST
  kTimeout,  // retransmissions exhausted (or the SYN never answered)
  kAborted,  // abort() by our own side: we sent a RST
};

std::string_view to_string(TcpState s);
std::string_view to_string(TcpCloseReason r);
std::ostream& operator<<(std::ostream& out, TcpState s);
std::ostream& operator<<(std::ostream& out, TcpCloseReason r);

}  // namespace mitmlab
