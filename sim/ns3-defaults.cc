#include "sim/ns3-defaults.h"

#include <ns3/boolean.h>
#include <ns3/config.h>
#include <ns3/double.h>
#include <ns3/global-value.h>
#include <ns3/uinteger.h>

namespace mitmlab {

void ApplyNs3Defaults() {
  ns3::GlobalValue::Bind("ChecksumEnabled", ns3::BooleanValue(true));
  ns3::Config::SetDefault("ns3::TcpSocket::SegmentSize", ns3::UintegerValue(1448));
  // TIME_WAIT is 2 x MSL. ns-3 finds a packet's socket by walking every endpoint of the node,
  // and a vantage scanning at 100 connections at once kept ~400 of them (most in TIME_WAIT)
  // with MSL 1 s; 0.1 s keeps ~130. Ports are allocated sequentially over 16k, far longer
  // than 0.2 s apart, and every link delay is milliseconds, so no late segment is misread.
  ns3::Config::SetDefault("ns3::TcpSocketBase::MaxSegLifetime", ns3::DoubleValue(0.1));
}

}  // namespace mitmlab
