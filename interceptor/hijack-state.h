// A hijacked flow's two legs. Toward the client the box is the server: a TcpEndpoint that
// adopted the server's side (its sequence and TSval spaces) and a ClientTermination serving
// the forged chain. Toward the origin the box is the client: a TcpEndpoint that adopted the
// client's side and the box's OriginClient. Plaintext moves between the two TLS legs
// unchanged and through the RelayRecorder.
#pragma once

#include <memory>
#include <utility>

#include "interceptor/bump-io.h"
#include "interceptor/forge/forger.h"
#include "interceptor/tcp/tcp-endpoint.h"
#include "interceptor/tls/client-termination.h"
#include "interceptor/tls/origin-client.h"
#include "interceptor/tls/relay-recorder.h"
#include "net/bytes.h"

namespace mitmlab {

struct HijackState {
  HijackState(TcpEndpoint client, TcpEndpoint server, ClientTermination term, OriginClient orig,
              std::shared_ptr<const ForgedChain> forged)
      : client_leg(std::move(client)), server_leg(std::move(server)), termination(std::move(term)),
        origin(std::move(orig)), chain(std::move(forged)) {}

  TcpEndpoint client_leg;  // speaks as the server, toward the client
  TcpEndpoint server_leg;  // speaks as the client, toward the origin
  ClientTermination termination;
  OriginClient origin;
  std::shared_ptr<const ForgedChain> chain;
  RelayRecorder recorder;
  // Ciphertext produced by a TLS leg that its TCP send buffer has not taken yet.
  Bytes to_client;
  Bytes to_server;
  bool client_close_relayed = false;  // the client's FIN passed on as close_notify + FIN
  bool server_close_relayed = false;
};

}  // namespace mitmlab
