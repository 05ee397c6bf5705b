#include "scanner/live/socket-trace-transport.h"

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <tuple>
#include <vector>

#include "net/icmp-message.h"
#include "net/ipv4-packet.h"

namespace mitmlab {

namespace {

// The epoll tag of the raw ICMP socket; connection ids are the core's, counted from 1 up.
constexpr std::uint64_t kIcmpTag = ~std::uint64_t{0};

struct Socket {
  int fd = -1;
  bool connecting = true;
  Bytes pending;                    // bytes the kernel did not take yet
  std::optional<std::uint8_t> ttl;  // IP_TTL to set before `pending` is written
  std::tuple<std::uint16_t, Ipv4Address, std::uint16_t> key;  // local port, remote, port
};

// An ICMP error and the connection it is about, collected before any is reported (a report
// can make the localizer close sockets).
struct Pending {
  ConnId conn;
  IcmpReport icmp;
};

// The datagram an ICMP error quotes, for the types that quote one (3, 11, 12).
std::optional<QuotedDatagram> quoted_of(const IcmpMessage& m) {
  if (auto* t = std::get_if<IcmpTimeExceeded>(&m.body)) return t->quoted;
  if (auto* u = std::get_if<IcmpDestinationUnreachable>(&m.body)) return u->quoted;
  if (auto* o = std::get_if<IcmpUnknown>(&m.body); o && o->type == 12)
    return parse_quoted_datagram(o->body);
  return std::nullopt;
}

std::pair<std::uint8_t, std::uint8_t> type_code(const IcmpMessage& m) {
  if (auto* t = std::get_if<IcmpTimeExceeded>(&m.body)) return {icmp_type::kTimeExceeded, t->code};
  if (auto* u = std::get_if<IcmpDestinationUnreachable>(&m.body))
    return {icmp_type::kDestinationUnreachable, u->code};
  if (auto* o = std::get_if<IcmpUnknown>(&m.body)) return {o->type, o->code};
  return {0, 0};
}

// Errors an established socket reports for ICMP it received (IP_RECVERR makes Linux report
// them): the raw ICMP socket already told the localizer, and the connection lives on.
bool icmp_soft_error(int error) {
  return error == EHOSTUNREACH || error == ENETUNREACH || error == EHOSTDOWN || error == ENETDOWN ||
         error == EPROTO || error == ENOPROTOOPT || error == EMSGSIZE;
}

class SocketTraceLoop {
 public:
  SocketTraceLoop(Localizer& localizer, const LiveTraceOptions& options)
      : loop_(localizer, options), localizer_(localizer) {}
  ~SocketTraceLoop() {
    for (auto& [id, s] : sockets_) ::close(s.fd);
    if (icmp_fd_ >= 0) ::close(icmp_fd_);
  }

  Result<LiveTraceStats> run() {
    if (auto opened = loop_.open(); !opened) return opened.error();
    open_icmp_socket();
    auto ran = loop_.run([this] { perform_actions(); },
                         [this](const epoll_event& e) {
                           if (e.data.u64 == kIcmpTag)
                             read_icmp();
                           else
                             handle(e.data.u64, e.events);
                         });
    if (!ran) return ran.error();
    stats_.elapsed = loop_.elapsed();
    return stats_;
  }

 private:
  void open_icmp_socket() {
    icmp_fd_ = ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (icmp_fd_ < 0) {
      stats_.icmp_unavailable = fmt::format(
          "a raw ICMP socket needs CAP_NET_RAW ({}): the routers that answer the "
          "TTL-limited ClientHello are not known, only the TTLs of the answers",
          std::strerror(errno));
      return;
    }
    keep_icmp_errors_only(icmp_fd_);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kIcmpTag;
    epoll_ctl(loop_.epoll(), EPOLL_CTL_ADD, icmp_fd_, &ev);
  }

  void perform_actions() {
    while (auto action = localizer_.poll_action()) {
      if (auto* c = std::get_if<ConnectAction>(&*action))
        connect(*c);
      else if (auto* s = std::get_if<SendAction>(&*action))
        send(*s);
      else if (auto* cl = std::get_if<CloseAction>(&*action))
        close(cl->conn);
      // RawPacketAction: a raw-mode localizer given to the socket driver; nothing to do.
    }
  }

  void connect(const ConnectAction& c) {
    ++stats_.connects;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(c.port);
    if (::inet_pton(AF_INET, c.address.c_str(), &to.sin_addr) != 1) {
      localizer_.on_connect_failed(loop_.now(), c.conn, "not a numeric IPv4 address");
      return;
    }
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      localizer_.on_connect_failed(loop_.now(), c.conn,
                                   fmt::format("socket: {}", std::strerror(errno)));
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one);
    // Closing sends a RST and frees the socket at once: no FIN retransmitted at a low TTL.
    linger abort{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to);
    if (rc < 0 && errno != EINPROGRESS) {
      std::string why = std::strerror(errno);
      ::close(fd);
      localizer_.on_connect_failed(loop_.now(), c.conn, why);
      return;
    }
    sockaddr_in local{};
    socklen_t len = sizeof local;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
    Socket s;
    s.fd = fd;
    s.key = {ntohs(local.sin_port), Ipv4Address(ntohl(to.sin_addr.s_addr)), c.port};
    by_key_[s.key] = c.conn;
    sockets_[c.conn] = std::move(s);
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = c.conn;
    epoll_ctl(loop_.epoll(), EPOLL_CTL_ADD, fd, &ev);
  }

  void send(const SendAction& a) {
    auto it = sockets_.find(a.conn);
    if (it == sockets_.end()) return;
    Socket& s = it->second;
    if (a.ttl) {
      // Bytes still queued from before go out at the TTL they were sent with.
      if (!s.connecting) flush(a.conn, s);
      if (sockets_.find(a.conn) == sockets_.end()) return;
      s.ttl = a.ttl;
    }
    s.pending.insert(s.pending.end(), a.bytes.begin(), a.bytes.end());
    if (!s.connecting) flush(a.conn, s);
  }

  // Writes what the kernel takes; wants EPOLLOUT while bytes remain.
  void flush(ConnId conn, Socket& s) {
    if (s.ttl) {
      int ttl = *s.ttl;
      setsockopt(s.fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
      s.ttl.reset();
    }
    while (!s.pending.empty()) {
      ssize_t n = ::send(s.fd, s.pending.data(), s.pending.size(), MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0 && icmp_soft_error(errno)) continue;
      if (n < 0) {
        reset(conn);
        return;
      }
      s.pending.erase(s.pending.begin(), s.pending.begin() + n);
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (s.pending.empty() ? 0u : EPOLLOUT);
    ev.data.u64 = conn;
    epoll_ctl(loop_.epoll(), EPOLL_CTL_MOD, s.fd, &ev);
  }

  void close(ConnId conn) {
    auto it = sockets_.find(conn);
    if (it == sockets_.end()) return;
    ::close(it->second.fd);  // also removes it from the epoll set
    by_key_.erase(it->second.key);
    sockets_.erase(it);
  }

  // The localizer hears of a reset once; the socket, no longer watched, stays until its
  // CloseAction.
  void reset(ConnId conn) {
    unwatch(conn);
    localizer_.on_reset(loop_.now(), conn);
  }

  void unwatch(ConnId conn) {
    if (auto it = sockets_.find(conn); it != sockets_.end())
      epoll_ctl(loop_.epoll(), EPOLL_CTL_DEL, it->second.fd, nullptr);
  }

  void report(const std::vector<Pending>& found) {
    for (const Pending& p : found) {
      ++stats_.icmp_errors;
      localizer_.on_icmp(loop_.now(), p.conn, p.icmp);
    }
  }

  // ICMP errors Linux queued on a connecting socket, with their senders.
  void read_error_queue(ConnId conn, int fd) {
    std::vector<Pending> found;
    for (;;) {
      std::array<std::uint8_t, 576> data;
      alignas(cmsghdr) std::array<char, 512> control;
      iovec iov{data.data(), data.size()};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.data();
      msg.msg_controllen = control.size();
      if (::recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_IP || c->cmsg_type != IP_RECVERR) continue;
        sock_extended_err ee;
        std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
        if (ee.ee_origin != SO_EE_ORIGIN_ICMP) continue;
        // The offender's address follows the structure in the control message.
        sockaddr_in from;
        std::memcpy(&from, CMSG_DATA(c) + sizeof ee, sizeof from);
        if (from.sin_family != AF_INET) continue;
        found.push_back({conn, {Ipv4Address(ntohl(from.sin_addr.s_addr)), ee.ee_type, ee.ee_code}});
      }
    }
    report(found);
  }

  // ICMP errors about established connections, from the raw socket.
  void read_icmp() {
    std::vector<Pending> found;
    std::array<std::uint8_t, 2048> buf;
    for (;;) {
      ssize_t n = ::recv(icmp_fd_, buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      auto packet = parse_icmp_packet(ByteView(buf.data(), static_cast<std::size_t>(n)));
      if (!packet) continue;
      auto quoted = quoted_of(packet->icmp);
      if (!quoted || !quoted->ip || quoted->ip->header.protocol != 6 || !quoted->source_port ||
          !quoted->destination_port)
        continue;
      auto it = by_key_.find(
          {*quoted->source_port, quoted->ip->header.destination, *quoted->destination_port});
      if (it == by_key_.end()) continue;
      // A connecting socket gets the same error from its error queue.
      if (sockets_.at(it->second).connecting) continue;
      auto [type, code] = type_code(packet->icmp);
      found.push_back({it->second, {packet->ip.header.source, type, code}});
    }
    report(found);
  }

  void handle(ConnId conn, std::uint32_t events) {
    auto it = sockets_.find(conn);
    if (it == sockets_.end()) return;
    if (it->second.connecting) {
      connecting(conn, events);
      return;
    }
    if (events & EPOLLERR) {
      int error = socket_error(it->second.fd);
      read_error_queue(conn, it->second.fd);  // empty on an established TCP socket, in practice
      perform_actions();
      it = sockets_.find(conn);
      if (it == sockets_.end()) return;
      if (error != 0 && !icmp_soft_error(error)) {
        reset(conn);
        return;
      }
    }
    if (events & EPOLLOUT) {
      flush(conn, it->second);
      if (sockets_.find(conn) == sockets_.end()) return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) read(conn);
  }

  static int socket_error(int fd) {
    int error = 0;
    socklen_t len = sizeof error;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
    return error;
  }

  // SO_ERROR is read before the error queue: dequeuing an ICMP error clears the socket's
  // pending error, and a connect that failed would then look like one that succeeded.
  void connecting(ConnId conn, std::uint32_t events) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    const int fd = sockets_.at(conn).fd;
    int error = socket_error(fd);
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    const bool established = ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0;
    if (events & EPOLLERR) {
      read_error_queue(conn, fd);
      perform_actions();
      if (sockets_.find(conn) == sockets_.end()) return;
    }
    if (error != 0) {
      close(conn);  // reported as failed: the localizer sends no CloseAction for it
      localizer_.on_connect_failed(loop_.now(), conn, std::strerror(error));
      return;
    }
    // An ICMP error the kernel took as soft: the SYN is retried, the connect goes on.
    if (!established) return;
    sockets_.at(conn).connecting = false;
    localizer_.on_connected(loop_.now(), conn);
    perform_actions();  // the ClientHello
    auto it = sockets_.find(conn);
    if (it != sockets_.end()) flush(conn, it->second);
  }

  void read(ConnId conn) {
    std::array<std::uint8_t, 16384> buf;
    for (;;) {
      auto it = sockets_.find(conn);
      if (it == sockets_.end()) return;  // closed while handling bytes
      ssize_t n = ::recv(it->second.fd, buf.data(), buf.size(), 0);
      if (n > 0) {
        localizer_.on_bytes(loop_.now(), conn, ByteView(buf.data(), static_cast<std::size_t>(n)));
        perform_actions();
        continue;
      }
      if (n == 0) {
        unwatch(conn);  // a closed socket stays readable
        localizer_.on_closed(loop_.now(), conn);
        return;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || icmp_soft_error(errno)) continue;
      reset(conn);
      return;
    }
  }

  TraceLoop loop_;
  Localizer& localizer_;
  int icmp_fd_ = -1;
  std::map<ConnId, Socket> sockets_;
  std::map<std::tuple<std::uint16_t, Ipv4Address, std::uint16_t>, ConnId> by_key_;
  LiveTraceStats stats_;
};

}  // namespace

Result<LiveTraceStats> run_socket_trace(Localizer& localizer, const LiveTraceOptions& options) {
  SocketTraceLoop loop(localizer, options);
  return loop.run();
}

}  // namespace mitmlab
