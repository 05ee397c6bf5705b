// A TLS server on 127.0.0.1 (an ephemeral port) for the live scanner's tests: a thread
// accepting connections and answering each with an SniTestServer (a chain per SNI). The
// destructor stops the thread. Loopback only. Throws std::runtime_error on a socket error.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "tests/support/sni-test-server.h"

namespace mitmlab::test {

class LoopbackTlsServer {
 public:
  explicit LoopbackTlsServer(std::shared_ptr<const SniTestServerContexts> contexts);
  // Serves on `listening_fd` (bound and listening, e.g. in another network namespace:
  // tests/support/netns-topology.h) and closes it when done.
  LoopbackTlsServer(std::shared_ptr<const SniTestServerContexts> contexts, int listening_fd);
  ~LoopbackTlsServer();
  LoopbackTlsServer(const LoopbackTlsServer&) = delete;
  LoopbackTlsServer& operator=(const LoopbackTlsServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::uint64_t accepted() const { return accepted_.load(); }
  std::uint64_t handshakes() const { return handshakes_.load(); }

 private:
  void serve();

  std::shared_ptr<const SniTestServerContexts> contexts_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> handshakes_{0};
  std::thread thread_;
};

}  // namespace mitmlab::test
