// Moving bytes between an ns-3 TCP socket and an OpenSSL SSL's memory BIOs, shared by the
// TLS client and server applications. TCP accepts only GetTxAvailable() bytes at a time:
// what does not fit stays in the SSL's write BIO until the socket's send callback fires.
#pragma once

#include <cstdint>

#include <openssl/bio.h>

#include <ns3/ptr.h>
#include <ns3/socket.h>

#include "net/bytes.h"

namespace mitmlab {

// Reads everything the socket has into `rbio` (and appends it to `transcript` if given).
// Returns the number of bytes read.
std::size_t FeedSocketToBio(ns3::Ptr<ns3::Socket> socket, BIO* rbio, Bytes* transcript);

// Sends as much of `wbio` as the socket will take. A non-zero `ttl` tags these
// segments with a SocketIpTtlTag (and so their retransmissions). Appends the sent bytes
// to `transcript` if given. Returns the number of bytes still waiting in `wbio`.
std::size_t PumpBioToSocket(BIO* wbio, ns3::Ptr<ns3::Socket> socket, Bytes* transcript,
                            std::uint8_t ttl = 0);

}  // namespace mitmlab
