#include "tests/support/loopback-tls-server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace mitmlab::test {

namespace {
[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("LoopbackTlsServer: " + what + ": " + std::strerror(errno));
}

int loopback_listener() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("bind");
  if (::listen(fd, 512) != 0) fail("listen");
  return fd;
}

}  // namespace

LoopbackTlsServer::LoopbackTlsServer(std::shared_ptr<const SniTestServerContexts> contexts)
    : LoopbackTlsServer(std::move(contexts), loopback_listener()) {}

LoopbackTlsServer::LoopbackTlsServer(std::shared_ptr<const SniTestServerContexts> contexts,
                                     int listening_fd)
    : contexts_(std::move(contexts)), listen_fd_(listening_fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) fail("getsockname");
  port_ = ntohs(addr.sin_port);
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) fail("pipe2");
  thread_ = std::thread([this] { serve(); });
}

LoopbackTlsServer::~LoopbackTlsServer() {
  char byte = 1;
  (void)!::write(stop_pipe_[1], &byte, 1);
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
}

void LoopbackTlsServer::serve() {
  std::map<int, std::unique_ptr<SniTestServer>> conns;
  std::map<int, bool> counted;
  std::array<std::uint8_t, 16384> buf;
  for (;;) {
    std::vector<pollfd> fds = {{stop_pipe_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (const auto& [fd, server] : conns) fds.push_back({fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) break;
    if (fds[0].revents) break;
    if (fds[1].revents & POLLIN) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        ++accepted_;
        conns[fd] = std::make_unique<SniTestServer>(contexts_);
      }
    }
    for (std::size_t i = 2; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      int fd = fds[i].fd;
      ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n <= 0) {
        ::close(fd);
        conns.erase(fd);
        counted.erase(fd);
        continue;
      }
      SniTestServer& server = *conns.at(fd);
      server.feed(ByteView(buf.data(), static_cast<std::size_t>(n)));
      Bytes out = server.take_output();
      if (!out.empty()) (void)!::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      if (server.handshake_done() && !counted[fd]) {
        counted[fd] = true;
        ++handshakes_;
      }
      if (server.failed()) {
        ::close(fd);
        conns.erase(fd);
        counted.erase(fd);
      }
    }
  }
  for (auto& [fd, server] : conns) ::close(fd);
}

}  // namespace mitmlab::test
