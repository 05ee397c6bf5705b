#include "scanner/live/raw-trace-transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "net/ipv4-packet.h"
#include "net/tcp-segment.h"

namespace mitmlab {

namespace {

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Result<Fd> raw_socket(int protocol, const char* name) {
  int fd = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd >= 0) return Fd(fd);
  if (errno == EPERM || errno == EACCES)
    return make_error(
        "raw mode needs CAP_NET_RAW (run as root, or `setcap cap_net_raw+ep` on the binary): "
        "socket(AF_INET, SOCK_RAW, {}): {}",
        name, std::strerror(errno));
  return make_error("socket(AF_INET, SOCK_RAW, {}): {}", name, std::strerror(errno));
}

class RawTraceLoop {
 public:
  RawTraceLoop(Localizer& localizer, const LiveTraceOptions& options)
      : loop_(localizer, options), localizer_(localizer) {}

  Result<LiveTraceStats> run() {
    auto send = raw_socket(IPPROTO_RAW, "IPPROTO_RAW");
    if (!send) return send.error();
    auto tcp = raw_socket(IPPROTO_TCP, "IPPROTO_TCP");
    if (!tcp) return tcp.error();
    auto icmp = raw_socket(IPPROTO_ICMP, "IPPROTO_ICMP");
    if (!icmp) return icmp.error();
    send_ = std::move(*send);
    tcp_ = std::move(*tcp);
    icmp_ = std::move(*icmp);
    std::uint32_t mark = kRawTraceMark;
    (void)setsockopt(send_.fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark);  // needs CAP_NET_ADMIN
    if (auto opened = loop_.open(); !opened) return opened.error();
    keep_icmp_errors_only(icmp_.fd);
    for (int fd : {tcp_.fd, icmp_.fd}) {
      int size = 1 << 20;
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      epoll_ctl(loop_.epoll(), EPOLL_CTL_ADD, fd, &ev);
    }
    auto ran = loop_.run([this] { perform_actions(); },
                         [this](const epoll_event& e) { receive(e.data.fd); });
    if (!ran) return ran.error();
    stats_.elapsed = loop_.elapsed();
    return stats_;
  }

 private:
  void perform_actions() {
    while (auto action = localizer_.poll_action()) {
      // Socket-mode actions given to the raw driver have nothing to act on.
      if (auto* raw = std::get_if<RawPacketAction>(&*action)) send(raw->ipv4);
    }
  }

  void send(const Bytes& ipv4) {
    auto packet = parse_ipv4(ipv4);
    if (!packet) return;  // the localizer's own packets always parse
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(packet->header.destination.value);
    if (::sendto(send_.fd, ipv4.data(), ipv4.size(), 0, reinterpret_cast<sockaddr*>(&to),
                 sizeof to) == static_cast<ssize_t>(ipv4.size()))
      ++stats_.packets_sent;
  }

  // Every packet waiting on `fd`, filtered to what the localizer can use.
  void receive(int fd) {
    const LocalizerConfig& config = localizer_.config();
    std::array<std::uint8_t, 65536> buf;
    for (;;) {
      ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      ByteView bytes(buf.data(), static_cast<std::size_t>(n));
      auto packet = parse_ipv4(bytes);
      if (!packet || packet->header.destination != config.local_address) continue;
      if (fd == tcp_.fd) {
        auto segment = parse_tcp(*packet);
        if (!segment || segment->header.destination_port < config.first_source_port) continue;
      }
      ++stats_.packets_received;
      localizer_.on_packet(loop_.now(), bytes);
      perform_actions();
    }
  }

  TraceLoop loop_;
  Localizer& localizer_;
  Fd send_, tcp_, icmp_;
  LiveTraceStats stats_;
};

}  // namespace

Result<LiveTraceStats> run_raw_trace(Localizer& localizer, const LiveTraceOptions& options) {
  RawTraceLoop loop(localizer, options);
  return loop.run();
}

Result<Ipv4Address> local_address_for(Ipv4Address target) {
  Fd udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (udp.fd < 0) return make_error("socket(AF_INET, SOCK_DGRAM): {}", std::strerror(errno));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(443);
  to.sin_addr.s_addr = htonl(target.value);
  if (::connect(udp.fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0)
    return make_error("no route to {}: {}", target.to_string(), std::strerror(errno));
  sockaddr_in local{};
  socklen_t len = sizeof local;
  if (::getsockname(udp.fd, reinterpret_cast<sockaddr*>(&local), &len) != 0)
    return make_error("getsockname: {}", std::strerror(errno));
  return Ipv4Address(ntohl(local.sin_addr.s_addr));
}

std::uint16_t first_port_above_ephemeral(std::uint16_t fallback) {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned low = 0, high = 0;
  if (in >> low >> high && high + 1000 <= 65535) return static_cast<std::uint16_t>(high + 1);
  return fallback;
}

}  // namespace mitmlab
