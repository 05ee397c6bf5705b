#include "scanner/live/rst-firewall.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

extern char** environ;

namespace mitmlab {

namespace {

// `name` in PATH or in the sbin directories a non-login root shell may lack.
std::string find_tool(const std::string& name) {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/sbin";
  std::istringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string joined(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& a : argv) text += (text.empty() ? "" : " ") + a;
  return text;
}

// Runs argv (no shell); its stderr is the error's message when it fails.
Status run_tool(const std::vector<std::string>& argv) {
  int err[2];
  if (::pipe2(err, O_CLOEXEC) != 0) return make_error("pipe2: {}", std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(err[1]);
  std::string message;
  char buf[512];
  for (ssize_t n; (n = ::read(err[0], buf, sizeof buf)) > 0;) message.append(buf, n);
  ::close(err[0]);
  if (rc != 0) return make_error("{}: {}", argv[0], std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Ok{};
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return make_error("`{}` failed: {}", joined(argv), message.empty() ? "no message" : message);
}

std::string table_name() { return fmt::format("mitmlab_trace_{}", ::getpid()); }

std::string nft_rule_body(std::uint16_t first_port, std::uint32_t mark) {
  return fmt::format("meta mark != {:#x} tcp sport >= {} tcp flags & rst == rst drop", mark,
                     first_port);
}

}  // namespace

Result<std::unique_ptr<RstFirewall>> RstFirewall::install(std::uint16_t first_port,
                                                          std::uint32_t exempt_mark) {
  if (std::string nft = find_tool("nft"); !nft.empty()) {
    const std::string table = table_name();
    std::vector<std::string> remove = {nft, "delete", "table", "inet", table};
    if (auto s = run_tool({nft, "add", "table", "inet", table}); !s) return s.error();
    std::unique_ptr<RstFirewall> firewall(new RstFirewall(remove));  // removes it on error
    if (auto s = run_tool(
            {nft, "add chain inet " + table + " output { type filter hook output priority 0 ; }"});
        !s)
      return s.error();
    if (auto s = run_tool(
            {nft, "add rule inet " + table + " output " + nft_rule_body(first_port, exempt_mark)});
        !s)
      return s.error();
    return firewall;
  }
  if (std::string iptables = find_tool("iptables"); !iptables.empty()) {
    auto rule = [&](const char* op) {
      return std::vector<std::string>{
          iptables,      "-w",  op,        "OUTPUT",
          "-p",          "tcp", "--sport", fmt::format("{}:65535", first_port),
          "--tcp-flags", "RST", "RST",     "-m",
          "mark",        "!",   "--mark",  fmt::format("{:#x}", exempt_mark),
          "-j",          "DROP"};
    };
    if (auto s = run_tool(rule("-I")); !s) return s.error();
    return std::unique_ptr<RstFirewall>(new RstFirewall(rule("-D")));
  }
  return make_error(
      "--manage-firewall: neither nft nor iptables is installed (Debian: apt-get install "
      "nftables)");
}

RstFirewall::~RstFirewall() { (void)run_tool(remove_); }

std::string RstFirewall::removed_by() const { return joined(remove_); }

std::string RstFirewall::manual_rule(std::uint16_t first_port) {
  return fmt::format(
      "nft add table inet mitmlab_rst; nft 'add chain inet mitmlab_rst output {{ type filter "
      "hook output priority 0 ; }}'; nft add rule inet mitmlab_rst output tcp sport '>=' {} "
      "tcp flags '&' rst == rst drop",
      first_port);
}

}  // namespace mitmlab
