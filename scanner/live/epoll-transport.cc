#include "scanner/live/epoll-transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>

namespace mitmlab {

namespace {

using Clock = std::chrono::steady_clock;

struct Socket {
  int fd = -1;
  bool connecting = true;
  std::uint32_t interest = 0;  // the events epoll watches for it now
  Bytes pending;               // bytes the kernel did not take yet
};

class EpollLoop {
 public:
  EpollLoop(Scan& scan, const LiveScanOptions& options) : scan_(scan), options_(options) {}
  ~EpollLoop() {
    for (auto& [id, s] : sockets_) ::close(s.fd);
    if (epoll_ >= 0) ::close(epoll_);
  }

  Result<LiveScanStats> run() {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) return make_error("epoll_create1: {}", std::strerror(errno));
    start_ = Clock::now();
    auto last_progress = start_;
    scan_.start(now());
    std::array<epoll_event, 256> events;
    for (;;) {
      perform_actions();
      deliver_records();
      if (scan_.done()) break;
      int wait_ms = -1;
      if (auto t = scan_.next_timeout()) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(*t - now()).count();
        wait_ms = static_cast<int>(std::max<long long>(0, std::min<long long>(left, 60'000)));
      }
      if (options_.on_progress) wait_ms = wait_ms < 0 ? 500 : std::min(wait_ms, 500);
      if (wait_ms < 0 && sockets_.empty())
        return make_error("live scan stalled: nothing to wait for");  // a bug, not the network
      int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), wait_ms);
      if (n < 0 && errno != EINTR) return make_error("epoll_wait: {}", std::strerror(errno));
      for (int i = 0; i < n; ++i) handle(events[i].data.u64, events[i].events);
      if (auto t = scan_.next_timeout(); t && *t <= now()) scan_.on_timeout(now());
      if (options_.on_progress && Clock::now() - last_progress >= options_.progress_every) {
        options_.on_progress(scan_);
        last_progress = Clock::now();
      }
    }
    perform_actions();  // the last closes
    stats_.elapsed = Clock::now() - start_;
    return stats_;
  }

 private:
  Timestamp now() const { return std::chrono::duration_cast<Timestamp>(Clock::now() - start_); }

  void deliver_records() {
    for (const ScanRecord& r : scan_.take_records())
      if (options_.on_record) options_.on_record(r);
  }

  void perform_actions() {
    while (auto action = scan_.poll_action()) {
      if (auto* c = std::get_if<ConnectAction>(&*action))
        connect(*c);
      else if (auto* s = std::get_if<SendAction>(&*action))
        send(s->conn, s->bytes);
      else if (auto* cl = std::get_if<CloseAction>(&*action))
        close(cl->conn);
    }
  }

  void connect(const ConnectAction& c) {
    ++stats_.connects;
    addrinfo hints{};
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    std::string port = std::to_string(c.port);
    if (int rc = getaddrinfo(c.address.c_str(), port.c_str(), &hints, &found); rc != 0) {
      fail_connect(c.conn, fmt::format("not a numeric address: {}", gai_strerror(rc)));
      return;
    }
    int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      freeaddrinfo(found);
      fail_connect(c.conn, fmt::format("socket: {}", std::strerror(errno)));
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = ::connect(fd, found->ai_addr, found->ai_addrlen);
    freeaddrinfo(found);
    if (rc < 0 && errno != EINPROGRESS) {
      std::string why = std::strerror(errno);
      ::close(fd);
      fail_connect(c.conn, why);
      return;
    }
    Socket& s = sockets_[c.conn] = Socket{fd, true, EPOLLOUT | EPOLLIN | EPOLLRDHUP, {}};
    epoll_event ev{};
    ev.events = s.interest;
    ev.data.u64 = c.conn;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  }

  void fail_connect(ConnId conn, const std::string& why) {
    ++stats_.connect_failures;
    scan_.on_connect_failed(now(), conn, why);
  }

  void send(ConnId conn, const Bytes& bytes) {
    auto it = sockets_.find(conn);
    if (it == sockets_.end()) return;
    Socket& s = it->second;
    s.pending.insert(s.pending.end(), bytes.begin(), bytes.end());
    if (!s.connecting) flush(conn, s);
  }

  // Writes what the kernel takes; wants EPOLLOUT while bytes remain.
  void flush(ConnId conn, Socket& s) {
    while (!s.pending.empty()) {
      ssize_t n = ::send(s.fd, s.pending.data(), s.pending.size(), MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0) {
        report_error(conn, errno);
        return;
      }
      stats_.bytes_sent += static_cast<std::uint64_t>(n);
      s.pending.erase(s.pending.begin(), s.pending.begin() + n);
    }
    // One epoll_ctl per change, not per send: most flights go out whole.
    const std::uint32_t interest = EPOLLIN | EPOLLRDHUP | (s.pending.empty() ? 0u : EPOLLOUT);
    if (interest == s.interest) return;
    s.interest = interest;
    epoll_event ev{};
    ev.events = interest;
    ev.data.u64 = conn;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, s.fd, &ev);
  }

  void close(ConnId conn) {
    auto it = sockets_.find(conn);
    if (it == sockets_.end()) return;
    ::close(it->second.fd);  // also removes it from the epoll set
    sockets_.erase(it);
  }

  // ECONNRESET and EPIPE are resets; any other socket error ends the probe the same way.
  void report_error(ConnId conn, int) { scan_.on_reset(now(), conn); }

  void handle(ConnId conn, std::uint32_t events) {
    auto it = sockets_.find(conn);
    if (it == sockets_.end()) return;
    Socket& s = it->second;
    if (s.connecting) {
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      // A failed connect always shows EPOLLERR; plain EPOLLOUT is a connection.
      int error = 0;
      socklen_t len = sizeof error;
      if (events & (EPOLLERR | EPOLLHUP)) getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &error, &len);
      if (error != 0) {
        ::close(s.fd);
        sockets_.erase(it);
        fail_connect(conn, std::strerror(error));
        return;
      }
      s.connecting = false;
      scan_.on_connected(now(), conn);
      perform_actions();  // the ClientHello
      it = sockets_.find(conn);
      if (it == sockets_.end()) return;
      flush(conn, it->second);
      return;
    }
    if (events & EPOLLOUT) {
      flush(conn, s);
      if (sockets_.find(conn) == sockets_.end()) return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) read(conn);
  }

  void read(ConnId conn) {
    std::array<std::uint8_t, 16384> buf;
    for (;;) {
      auto it = sockets_.find(conn);
      if (it == sockets_.end()) return;  // the scan closed it while handling bytes
      ssize_t n = ::recv(it->second.fd, buf.data(), buf.size(), 0);
      if (n > 0) {
        stats_.bytes_received += static_cast<std::uint64_t>(n);
        scan_.on_bytes(now(), conn, ByteView(buf.data(), static_cast<std::size_t>(n)));
        perform_actions();
        // A short read took all there was; epoll (level-triggered) reports what comes next,
        // which saves the recv() that would only say EAGAIN.
        if (static_cast<std::size_t>(n) < buf.size()) return;
        continue;
      }
      if (n == 0) {
        scan_.on_closed(now(), conn);
        perform_actions();
        return;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      report_error(conn, errno);
      perform_actions();
      return;
    }
  }

  Scan& scan_;
  const LiveScanOptions& options_;
  int epoll_ = -1;
  Clock::time_point start_;
  std::map<ConnId, Socket> sockets_;
  LiveScanStats stats_;
};

}  // namespace

Result<LiveScanStats> run_live_scan(Scan& scan, const LiveScanOptions& options) {
  EpollLoop loop(scan, options);
  return loop.run();
}

}  // namespace mitmlab
