// The firewall rule raw-mode tracing needs: the kernel answers the hosts' SYN-ACKs (for
// connections only the localizer knows) with RSTs, which would tear those connections down
// at the host. While an RstFirewall lives, outgoing TCP RSTs from the probe's source ports
// are dropped, except packets carrying the raw driver's mark (the localizer's own RSTs).
// nftables (a table of its own, named for the process) when `nft` is installed, else
// iptables (one OUTPUT rule). The destructor removes it; a process killed outright leaves
// it behind, and removed_by() says how to remove it by hand.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/result.h"

namespace mitmlab {

class RstFirewall {
 public:
  // Needs CAP_NET_ADMIN; the error quotes the tool's own message.
  static Result<std::unique_ptr<RstFirewall>> install(std::uint16_t first_port,
                                                      std::uint32_t exempt_mark);
  ~RstFirewall();
  RstFirewall(const RstFirewall&) = delete;
  RstFirewall& operator=(const RstFirewall&) = delete;

  // The command that removes it (for a message).
  std::string removed_by() const;
  // The command a user would run to add such a rule themselves (nft syntax).
  static std::string manual_rule(std::uint16_t first_port);

 private:
  explicit RstFirewall(std::vector<std::string> remove) : remove_(std::move(remove)) {}
  std::vector<std::string> remove_;  // argv of the removing command
};

}  // namespace mitmlab
