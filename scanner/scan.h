// The scan: hosts x test SNIs, a control probe per host, retries, a concurrency limit, and
// a verdict per (host, test SNI) (scanner/scan-verdict.h). Sans-I/O like the probe: the
// driver (live epoll transport, ns-3 adapter, a test) drains poll_action() and performs
// each action, reports what its connections did with the on_*() calls, passes the time in
// every call, and calls on_timeout(now) at next_timeout().
//
//   auto scan = Scan::create(config);  scan->start(now);
//   loop: while (auto a = scan->poll_action()) perform(*a);
//         wait for I/O or next_timeout(); report it; take_records() as they come.
//   done() once every record has been emitted.
//
// Per host, the control and every test SNI are separate probes on fresh connections (as
// zgrab2 did). Test probes go as far as `stop` says; the control, whose only use is the
// server's own chain, always stops at the certificate (half the server's work, and a
// full handshake would tell the verdict nothing more). A probe that ends without the
// server's chain (reset, timeout, refused, alert, ...) is retried up to `retries` more
// times before the verdict, so one lost connection to a flaky server is not reported as
// censorship. Retries go to the back of the queue (by then other hosts' probes have run:
// a natural spacing). Each host's records are
// emitted together once its control and all its tests are final. Connection ids are never
// reused; a report about an unknown or already closed id is ignored. Every connection the
// scan opened gets a CloseAction, except one reported with on_connect_failed (the transport
// has released it). Keep draining poll_action() after done(): the last closes are there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "net/bytes.h"
#include "net/clock.h"
#include "net/result.h"
#include "scanner/probe-hello-profile.h"
#include "scanner/scan-record.h"
#include "scanner/scan-verdict.h"
#include "scanner/tls-probe.h"
#include "scanner/transport-action.h"
#include "net/trust-store.h"

namespace mitmlab {

struct ScanHost {
  std::string address;  // what the transport connects to; not resolved by the core
  std::uint16_t port = 443;
};

struct ScanConfig {
  std::vector<ScanHost> hosts;
  std::vector<std::string> test_snis;           // at least one
  std::string control_sni;                      // "" = no SNI, like the 2019 authors' control
  ProbeHelloProfile profile;                    // zgrab2-2019 by default
  Duration timeout = std::chrono::seconds(10);  // per probe: connect + handshake
  unsigned retries = 2;                         // extra attempts for a probe without a chain
  std::size_t concurrency = 100;                // connections open at once, at most
  ProbeStop stop = ProbeStop::finished;        // the test probes'; the control's: certificate
  std::shared_ptr<const TrustStore> trust;  // required
  std::time_t at = 0;                       // calendar time for validation, required
};


struct ScanCounters {
  std::uint64_t probes_started = 0;
  std::uint64_t retries = 0;
  std::uint64_t records = 0;
  std::size_t active = 0;
  std::size_t max_active = 0;         // never above the configured concurrency
  std::uint64_t ignored_reports = 0;  // about unknown or finished connections
};

class Scan {
 public:
  static Result<std::unique_ptr<Scan>> create(ScanConfig config);

  // Opens the first connections (up to the concurrency limit).
  void start(Timestamp now);
  std::optional<TransportAction> poll_action();

  void on_connected(Timestamp now, ConnId conn);
  void on_connect_failed(Timestamp now, ConnId conn, std::string_view why = "");
  void on_bytes(Timestamp now, ConnId conn, ByteView bytes);
  void on_closed(Timestamp now, ConnId conn);
  void on_reset(Timestamp now, ConnId conn);
  std::optional<Timestamp> next_timeout() const;
  void on_timeout(Timestamp now);

  // Records completed since the last call.
  std::vector<ScanRecord> take_records();
  bool done() const;
  const ScanCounters& counters() const { return counters_; }
  const ScanConfig& config() const { return config_; }
  std::size_t total_records() const { return config_.hosts.size() * config_.test_snis.size(); }
  // Probe results still holding a chain: only hosts whose records are not out yet (memory
  // stays bounded by the concurrency, not the number of hosts). 0 once done().
  std::size_t held_chains() const;

 private:
  struct Job {
    std::size_t host = 0;
    std::optional<std::size_t> test;  // index into test_snis; nullopt = the control
    unsigned attempts = 0;
    bool final = false;
    ProbeResult result;
  };
  struct Active {
    std::size_t job = 0;
    std::unique_ptr<TlsProbe> probe;
  };
  Scan(ScanConfig config, std::shared_ptr<ProbeContext> context);
  const std::string& sni_of(const Job& job) const;
  void fill(Timestamp now);
  void after_event(Timestamp now, ConnId conn);
  void finish_probe(Timestamp now, ConnId conn, bool send_close);
  void maybe_emit(std::size_t host);

  ScanConfig config_;
  std::shared_ptr<ProbeContext> context_;
  std::vector<Job> jobs_;  // per host: control, then one per test SNI
  std::vector<std::size_t> unfinished_per_host_;
  std::deque<std::size_t> queue_;  // jobs waiting for a connection
  std::map<ConnId, Active> active_;
  std::deque<TransportAction> actions_;
  std::vector<ScanRecord> records_;
  ChainJudgements chains_;  // each distinct chain validated once
  ConnId next_conn_ = 1;
  ScanCounters counters_;
};

}  // namespace mitmlab
