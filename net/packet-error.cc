#include "net/packet-error.h"

#include <ostream>

namespace mitmlab {

std::string_view to_string(PacketError e) {
  switch (e) {
    case PacketError::kTruncated: return "truncated";
    case PacketError::kBadVersion: return "bad-version";
    case PacketError::kBadHeaderLength: return "bad-header-length";
    case PacketError::kBadTotalLength: return "bad-total-length";
    case PacketError::kFragment: return "fragment";
    case PacketError::kWrongProtocol: return "wrong-protocol";
    case PacketError::kBadOption: return "bad-option";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& out, PacketError e) { return out << to_string(e); }

}  // namespace mitmlab
