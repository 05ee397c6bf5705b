// The box's own look at an origin (facts §5): a TCP connection from the client's address
// with a fresh source port, the box's ClientHello with the client's SNI, read until the
// server's Certificate, judged, then reset. The verdict is cached per server address and
// port together with the origin's leaf, which is what gets forged.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "interceptor/bump-io.h"
#include "interceptor/flow-key.h"
#include "interceptor/tcp/tcp-endpoint.h"
#include "interceptor/tls/origin-certificate-judge.h"
#include "interceptor/tls/origin-client.h"
#include "net/bytes.h"
#include "net/clock.h"
#include "net/openssl.h"

namespace mitmlab {

struct OriginKey {
  std::uint32_t addr = 0;
  std::uint16_t port = 0;
  friend bool operator==(const OriginKey&, const OriginKey&) = default;
};

struct OriginKeyHash {
  std::size_t operator()(const OriginKey& k) const noexcept {
    return static_cast<std::size_t>(FlowKeyHash::mix((std::uint64_t{k.addr} << 16) | k.port));
  }
};

enum class OriginStatus : std::uint8_t {
  kTrusted,      // the chain validates against the trust store at the calendar time
  kUntrusted,    // it does not: the client gets the genuine handshake
  kUnreachable,  // no Certificate came: connection refused, reset, TLS failure, timeout
};

std::string_view origin_status_name(OriginStatus status);

struct OriginRecord {
  OriginStatus status = OriginStatus::kUnreachable;
  OriginVerdict verdict;  // kTrusted / kUntrusted
  std::string error;      // kUnreachable: what happened
  X509Ptr leaf;           // kTrusted: the certificate to forge
};

// One check connection in flight.
struct CheckConnection {
  CheckConnection(FlowKey k, OriginKey o, LinkSide toward, std::string name, TcpEndpoint endpoint,
                  OriginClient client, Timestamp until)
      : key(k), origin(o), toward_server(toward), sni(std::move(name)), tcp(std::move(endpoint)),
        tls(std::move(client)), deadline(until) {}

  FlowKey key;               // (client address, fresh port) -> origin
  OriginKey origin;
  LinkSide toward_server;    // the bump side the origin is on
  std::string sni;
  TcpEndpoint tcp;
  OriginClient tls;
  Timestamp deadline;
  Bytes to_send;             // ciphertext not yet taken by the TCP send buffer
  std::vector<FlowKey> waiters;  // client flows holding their hello for this verdict
};

}  // namespace mitmlab
