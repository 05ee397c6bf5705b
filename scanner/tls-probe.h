// One TLS handshake over a byte stream, sans-I/O: the transport (live sockets, the ns-3
// adapter, a test) tells the probe what happened and when; the probe says what to send and
// when it next needs the time. It never verifies the server: it collects the chain as sent,
// and the scan judges it later against a trust store at a calendar time it is given.
//
//   auto probe = TlsProbe::create(context, {.sni = "facebook.com"}, now);  // connect starts
//   transport: on_connected(now) -> send take_output(); on_bytes(now, b) -> send
//   take_output(); on_closed/on_reset(now); at next_timeout(): on_timeout(now).
//   When done(): close the connection and read result().
//
// Timeout: one deadline, `timeout` after create(), covering connect and handshake.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "net/bytes.h"
#include "net/clock.h"
#include "net/openssl.h"
#include "net/result.h"
#include "scanner/certificate-message-cache.h"
#include "scanner/probe-hello-profile.h"
#include "scanner/probe-stop.h"

namespace mitmlab {

enum class ProbeOutcome {
  ok,       // reached the server's Finished (or its Certificate, with stop_at certificate)
  alert,    // the server sent a fatal alert
  reset,    // the connection was reset
  timeout,  // the deadline passed first
  closed,   // the server closed the connection first
  handshake_failure,  // we could not continue: bad bytes, no common version or suite, ...
  connect_failed,     // the TCP connection was never made (refused, unreachable)
};
std::string_view probe_outcome_name(ProbeOutcome outcome);
std::ostream& operator<<(std::ostream& os, ProbeOutcome outcome);

// Probe timings, measured from the times the transport passed in.
struct ProbeTimings {
  std::optional<Duration> connect;     // create() -> on_connected()
  std::optional<Duration> first_byte;  // on_connected() -> first server byte
  std::optional<Duration> handshake;   // on_connected() -> done, when ok
};

struct ProbeResult {
  ProbeOutcome outcome = ProbeOutcome::timeout;
  std::optional<std::uint8_t> alert;  // outcome alert: the server's; handshake_failure: ours
  std::string alert_name;             // IANA name ("unknown_ca"), "" without an alert
  std::string error;                  // what went wrong, for the record ("" when ok)
  std::vector<Bytes> chain;           // the certificates as sent, leaf first, DER
  // The same certificates as OpenSSL parsed them in the handshake, so that judging the chain
  // does not decode it again (in OpenSSL 3 decoding a certificate's key is the costliest part
  // of a scan's own work); empty when the result was made from DER alone.
  std::vector<std::shared_ptr<X509>> certificates;
  std::uint16_t version = 0;          // negotiated protocol version, 0 if none
  std::uint16_t suite = 0;            // negotiated suite (IANA code point), 0 if none
  std::string suite_name;             // its RFC name
  ProbeTimings timings;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
};

// result.chain as X509 objects: the handshake's own when the probe kept them, else decoded
// from the DER (an unreadable certificate is null).
std::vector<std::shared_ptr<X509>> parsed_chain(const ProbeResult& result);
// Their raw pointers, for the calls that take a chain of X509*.
std::vector<X509*> raw_chain(const std::vector<std::shared_ptr<X509>>& chain);

class TlsProbe;

// The SSL_CTX a scan's probes share: one per profile; and the chains certificate-stop
// probes have read (null: each reads its own).
class ProbeContext {
 public:
  static Result<std::shared_ptr<ProbeContext>> create(
      const ProbeHelloProfile& profile,
      std::shared_ptr<CertificateMessageCache> certificates = CertificateMessageCache::process_wide());
  SSL_CTX* get() const { return ctx_.get(); }
  const ProbeHelloProfile& profile() const { return profile_; }
  CertificateMessageCache* certificates() const { return certificates_.get(); }

 private:
  friend class TlsProbe;
  ProbeContext(ProbeHelloProfile p, SslCtxPtr ctx, std::shared_ptr<CertificateMessageCache> certificates)
      : profile_(std::move(p)), ctx_(std::move(ctx)), certificates_(std::move(certificates)) {}
  ProbeHelloProfile profile_;
  SslCtxPtr ctx_;
  std::shared_ptr<CertificateMessageCache> certificates_;
};

struct TlsProbeOptions {
  std::string sni{};  // "" sends no server_name
  Duration timeout = std::chrono::seconds(10);
  ProbeStop stop = ProbeStop::finished;
};

class TlsProbe {
  friend class ProbeContext;

 public:
  // The probe starts (its connection is being opened) at `now`.
  static Result<std::unique_ptr<TlsProbe>> create(std::shared_ptr<ProbeContext> context,
                                                  const TlsProbeOptions& options, Timestamp now);

 private:
  struct Key {
    explicit Key() = default;
  };

 public:
  TlsProbe(Key, std::shared_ptr<ProbeContext> context, TlsProbeOptions options, Timestamp now);
  TlsProbe(const TlsProbe&) = delete;
  TlsProbe& operator=(const TlsProbe&) = delete;
  ~TlsProbe();

  // The TCP connection is up: the ClientHello is then in take_output().
  void on_connected(Timestamp now);
  void on_connect_failed(Timestamp now, std::string_view why = "");
  // The server's bytes, in any pieces.
  void on_bytes(Timestamp now, ByteView bytes);
  void on_closed(Timestamp now);  // FIN from the server
  void on_reset(Timestamp now);   // RST
  // An early or repeated call is a no-op.
  void on_timeout(Timestamp now);

  Bytes take_output();
  // The deadline while not done; nothing once done.
  std::optional<Timestamp> next_timeout() const;
  bool done() const { return state_ == State::done; }
  const ProbeResult& result() const { return result_; }
  // Moves the result out (once done), for a caller that drops the probe next.
  ProbeResult take_result() { return std::move(result_); }
  const std::string& sni() const { return options_.sni; }

 private:
  enum class State { connecting, handshaking, done };
  static int on_certificate(X509_STORE_CTX* store_ctx, void* arg);
  static void on_info(const SSL* ssl, int where, int ret);
  void drive(Timestamp now);
  void conclude(Timestamp now, int rc);
  void read_plain_flight(Timestamp now);
  void release_held(Timestamp now);
  Bytes stop_holding();
  void feed(ByteView bytes);
  void finish(Timestamp now, ProbeOutcome outcome, std::string error = "");
  void record_negotiated();

  std::shared_ptr<ProbeContext> context_;
  TlsProbeOptions options_;
  SslPtr ssl_;
  BIO* in_ = nullptr;   // owned by ssl_
  BIO* out_ = nullptr;  // owned by ssl_
  State state_ = State::connecting;
  Timestamp started_;
  Timestamp connected_at_{};
  Timestamp deadline_;
  std::optional<std::uint8_t> peer_alert_;
  bool peer_alert_fatal_ = false;
  std::optional<std::uint8_t> sent_alert_;
  bool stopped_at_certificate_ = false;  // on_certificate ended the handshake on purpose
  // A certificate-stop probe holds the server's bytes back from OpenSSL while it reads the
  // plain start of the flight itself (read_plain_flight).
  bool reading_plain_flight_ = false;
  Bytes held_;
  // The Certificate message OpenSSL was handed after a cache miss: on_certificate files it.
  std::optional<CertificateMessageCache::Key> certificate_key_;
  ProbeResult result_;
};

// The IANA name of a TLS alert ("handshake_failure"), "alert_<n>" for an unknown one.
std::string tls_alert_name(std::uint8_t description);

}  // namespace mitmlab
