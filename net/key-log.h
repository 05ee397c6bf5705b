// NSS key log ("SSLKEYLOGFILE" format) for every TLS connection mitmlab makes or terminates,
// so Wireshark can decrypt a run's pcaps: both legs of each intercepted flow, every probe,
// every simulated client and server.
//
// OpenSSL's keylog callback has no user pointer, so the sink is process-wide, like a
// browser's SSLKEYLOGFILE: the runner installs one (`mitmlab run --keylog`), every SSL_CTX
// is passed through attach_key_log() when created, and lines go to the installed sink, if
// any. Lines are kept in arrival order; with the single-threaded simulation that order is
// deterministic.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>

namespace mitmlab {

class KeyLogSink {
 public:
  virtual ~KeyLogSink() = default;
  // One line without its newline, e.g. "CLIENT_RANDOM <hex> <hex>".
  virtual void write_line(std::string_view line) = 0;
};

// Keeps every line in memory (a run writes them out at the end).
class MemoryKeyLog : public KeyLogSink {
 public:
  void write_line(std::string_view line) override { lines_.emplace_back(line); }
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::vector<std::string> lines_;
};

// Installs `sink` until the returned guard is destroyed (null: none). Not thread-safe:
// install it before the simulation starts.
class KeyLogInstallation {
 public:
  explicit KeyLogInstallation(std::shared_ptr<KeyLogSink> sink);
  ~KeyLogInstallation();
  KeyLogInstallation(const KeyLogInstallation&) = delete;
  KeyLogInstallation& operator=(const KeyLogInstallation&) = delete;

 private:
  std::shared_ptr<KeyLogSink> previous_;
};

// Sets the context's keylog callback to forward to the installed sink (if any at the time a
// key is logged).
void attach_key_log(SSL_CTX* ctx);

}  // namespace mitmlab
