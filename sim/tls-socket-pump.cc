#include "sim/tls-socket-pump.h"

#include <algorithm>

#include <ns3/packet.h>

namespace mitmlab {

std::size_t FeedSocketToBio(ns3::Ptr<ns3::Socket> socket, BIO* rbio, Bytes* transcript) {
  std::size_t total = 0;
  Bytes buf;
  while (ns3::Ptr<ns3::Packet> packet = socket->Recv()) {
    if (packet->GetSize() == 0) break;  // end of stream is reported by the close callbacks
    buf.resize(packet->GetSize());
    packet->CopyData(buf.data(), packet->GetSize());
    BIO_write(rbio, buf.data(), static_cast<int>(buf.size()));
    if (transcript) transcript->insert(transcript->end(), buf.begin(), buf.end());
    total += buf.size();
  }
  return total;
}

std::size_t PumpBioToSocket(BIO* wbio, ns3::Ptr<ns3::Socket> socket, Bytes* transcript,
                            std::uint8_t ttl) {
  Bytes buf;
  for (;;) {
    const std::size_t pending = BIO_ctrl_pending(wbio);
    const std::size_t room = socket->GetTxAvailable();
    if (pending == 0 || room == 0) return pending;
    // BIO_read consumes, so take only what the socket promised to accept.
    buf.resize(std::min<std::size_t>({pending, room, 1 << 16}));
    const int n = BIO_read(wbio, buf.data(), static_cast<int>(buf.size()));
    if (n <= 0) return BIO_ctrl_pending(wbio);
    auto packet = ns3::Create<ns3::Packet>(buf.data(), static_cast<std::uint32_t>(n));
    if (ttl != 0) {
      ns3::SocketIpTtlTag tag;
      tag.SetTtl(ttl);
      packet->AddPacketTag(tag);
    }
    if (socket->Send(packet, 0) < 0) return BIO_ctrl_pending(wbio);  // closed or reset under us
    if (transcript) transcript->insert(transcript->end(), buf.begin(), buf.begin() + n);
  }
}

}  // namespace mitmlab
