#include "tests/support/netns-topology.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <vector>

namespace mitmlab::test {

namespace {

void run(const std::string& command) {
  int status = std::system((command + " 2>&1").c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("NetnsTopology: `" + command + "` failed");
}

}  // namespace

std::string NetnsTopology::skip_reason() {
  if (::geteuid() != 0) return "needs root (network namespaces)";
  if (std::system("ip -V >/dev/null 2>&1") != 0) return "needs iproute2's `ip`";
  // Root in a container without CAP_SYS_ADMIN cannot make namespaces: try one.
  const std::string probe = fmt::format("mlt{}-probe", ::getpid());
  if (std::system(("ip netns add " + probe + " >/dev/null 2>&1").c_str()) != 0)
    return "cannot create network namespaces here (`ip netns add` failed: CAP_SYS_ADMIN?)";
  (void)std::system(("ip netns del " + probe + " >/dev/null 2>&1").c_str());
  return "";
}

NetnsTopology::NetnsTopology() : prefix_(fmt::format("mlt{}", ::getpid())) {
  client = prefix_ + "-client";
  router1 = prefix_ + "-router1";
  router2 = prefix_ + "-router2";
  server = prefix_ + "-server";
  try {
    build();
  } catch (...) {
    teardown();
    throw;
  }
}

NetnsTopology::~NetnsTopology() { teardown(); }

void NetnsTopology::build() {
  for (const auto* ns : {&client, &router1, &router2, &server}) {
    run("ip netns add " + *ns);
    run("ip -n " + *ns + " link set lo up");
  }
  // Veth names are at most 15 characters: prefix (<= 10) plus a 3-character end name.
  struct Link {
    const std::string& a;
    std::string a_dev, a_addr;
    const std::string& b;
    std::string b_dev, b_addr;
  };
  const std::vector<Link> links = {
      {client, prefix_ + "-c0", "10.250.0.1/30", router1, prefix_ + "-1a", "10.250.0.2/30"},
      {router1, prefix_ + "-1b", "10.250.0.5/30", router2, prefix_ + "-2a", "10.250.0.6/30"},
      {router2, prefix_ + "-2b", "10.250.0.9/30", server, prefix_ + "-s0", "10.250.0.10/30"},
  };
  for (const Link& l : links) {
    run(fmt::format("ip link add {} netns {} type veth peer name {} netns {}", l.a_dev, l.a,
                    l.b_dev, l.b));
    for (auto [ns, dev, addr] : {std::tuple{l.a, l.a_dev, l.a_addr}, {l.b, l.b_dev, l.b_addr}}) {
      run(fmt::format("ip -n {} addr add {} dev {}", ns, addr, dev));
      run(fmt::format("ip -n {} link set {} up", ns, dev));
    }
  }
  run("ip -n " + client + " route add default via 10.250.0.2");
  run("ip -n " + router1 + " route add default via 10.250.0.6");
  run("ip -n " + router2 + " route add 10.250.0.0/30 via 10.250.0.5");
  run("ip -n " + router2 + " route add default via 10.250.0.10");
  run("ip -n " + router2 + " route add unreachable 10.250.9.0/24");
  run("ip -n " + server + " route add default via 10.250.0.9");
  for (const auto* ns : {&router1, &router2})
    run("ip netns exec " + *ns +
        " sh -c 'sysctl -qw net.ipv4.ip_forward=1 && sysctl -qw net.ipv4.icmp_ratelimit=0'");
}

void NetnsTopology::teardown() {
  for (const auto* ns : {&client, &router1, &router2, &server})
    if (!ns->empty()) (void)std::system(("ip netns del " + *ns + " 2>/dev/null").c_str());
}

int NetnsTopology::exec(const std::string& ns, const std::string& command) const {
  std::string escaped;
  for (char c : command) escaped += c == '\'' ? std::string("'\\''") : std::string(1, c);
  int status = std::system(("ip netns exec " + ns + " sh -c '" + escaped + "'").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void NetnsTopology::run_in(const std::string& ns, const std::function<void()>& fn) const {
  std::exception_ptr error;
  std::thread thread([&] {
    try {
      int fd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw std::runtime_error("NetnsTopology: no namespace " + ns);
      int rc = ::setns(fd, CLONE_NEWNET);
      ::close(fd);
      if (rc != 0)
        throw std::runtime_error("NetnsTopology: setns " + ns + ": " + std::strerror(errno));
      fn();
    } catch (...) {
      error = std::current_exception();
    }
  });
  thread.join();
  if (error) std::rethrow_exception(error);
}

int NetnsTopology::listen_in(const std::string& ns, Ipv4Address address, std::uint16_t port) const {
  int fd = -1;
  run_in(ns, [&] {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("NetnsTopology: socket failed");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(address.value);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd, 512) != 0) {
      ::close(fd);
      throw std::runtime_error(fmt::format("NetnsTopology: listen on {}:{} in {}: {}",
                                           address.to_string(), port, ns, std::strerror(errno)));
    }
  });
  return fd;
}

}  // namespace mitmlab::test
