#include "interceptor/tcp/tcp-state.h"

#include <ostream>

namespace mitmlab {

std::string_view to_string(TcpState s) {
  switch (s) {
    case TcpState::kIdle:
      return "Idle";
    case TcpState::kSynSent:
      return "SynSent";
    case TcpState::kSynReceived:
      return "SynReceived";
    case TcpState::kEstablished:
      return "Established";
    case TcpState::kFinWait1:
      return "FinWait1";
    case TcpState::kFinWait2:
      return "FinWait2";
    case TcpState::kCloseWait:
      return "CloseWait";
    case TcpState::kLastAck:
      return "LastAck";
    case TcpState::kClosing:
      return "Closing";
    case TcpState::kTimeWait:
      return "TimeWait";
    case TcpState::kClosed:
      return "Closed";
  }
  return "?";
}

std::string_view to_string(TcpCloseReason r) {
  switch (r) {
    case TcpCloseReason::kNone:
      return "none";
    case TcpCloseReason::kNormal:
      return "normal";
    case TcpCloseReason::kReset:
      return "reset";
    case TcpCloseReason::kTimeout:
      return "timeout";
    case TcpCloseReason::kAborted:
      return "aborted";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& out, TcpState s) { return out << to_string(s); }
std::ostream& operator<<(std::ostream& out, TcpCloseReason r) { return out << to_string(r); }

}  // namespace mitmlab
