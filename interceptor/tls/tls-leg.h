// One TLS endpoint of the box over memory BIOs: ciphertext in with feed(), ciphertext out
// with take_output(), plaintext through read_plaintext()/write_plaintext(). No sockets and
// no clock: it advances only when bytes are fed. ClientTermination (server side, toward the
// client) and OriginClient (client side, toward the origin) each configure an SSL and hand
// it to a TlsLeg, which owns the state machine they share.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "net/bytes.h"
#include "net/openssl.h"
#include "net/result.h"

namespace mitmlab {

enum class TlsLegState {
  handshaking,  // waiting for the peer's next handshake flight
  established,  // handshake done: application data flows both ways
  failed,       // fatal: the peer's alert or a protocol error; see failure()
  closed,       // the peer sent close_notify after the handshake, or close() was called
};
std::string_view tls_leg_state_name(TlsLegState state);
std::ostream& operator<<(std::ostream& os, TlsLegState state);

enum class TlsFailureKind {
  peer_alert,      // the peer sent a fatal alert (e.g. a client rejecting the forged chain)
  protocol_error,  // we could not continue: bad bytes, no common suite, ...
};
std::string_view tls_failure_kind_name(TlsFailureKind kind);

struct TlsFailure {
  TlsFailureKind kind = TlsFailureKind::protocol_error;
  // peer_alert: the alert received; protocol_error: the alert we sent, if OpenSSL sent one.
  std::optional<std::uint8_t> alert;
  std::string alert_name;  // alert_name(*alert), "" without one
  std::string message;     // what OpenSSL said (its drained error queue)
};

// What passed through one leg, for the engine's counters.
struct TlsLegCounters {
  std::uint64_t ciphertext_in = 0;
  std::uint64_t ciphertext_out = 0;
  std::uint64_t plaintext_in = 0;        // decrypted from the peer
  std::uint64_t plaintext_out = 0;       // handed to write_plaintext and encrypted
  std::uint64_t ignored_after_end = 0;   // bytes fed after failure or close
};

class TlsLeg {
 public:
  // Takes an SSL already set to client or server mode and configured, without BIOs; the
  // leg attaches its two memory BIOs and an info callback (to learn the peer's alerts).
  static Result<std::unique_ptr<TlsLeg>> create(SslPtr ssl);

  // Only create() can make one: the Key type is private. Public for std::make_unique.
 private:
  struct Key {
    explicit Key() = default;
  };

 public:
  TlsLeg(Key, SslPtr ssl);
  // The leg's address is registered with OpenSSL: it stays where it was created.
  TlsLeg(const TlsLeg&) = delete;
  TlsLeg& operator=(const TlsLeg&) = delete;
  ~TlsLeg();

  // Runs the handshake as far as the bytes fed so far allow. A client leg calls this once
  // at the start so its ClientHello is waiting in take_output().
  TlsLegState drive();

  // Ciphertext from the peer, in any pieces: record boundaries do not matter.
  TlsLegState feed(ByteView from_peer);
  // Ciphertext to send to the peer; empty if nothing is waiting.
  Bytes take_output();

  // Decrypted application bytes received so far (and not taken yet).
  Bytes read_plaintext();
  // Encrypts toward the peer. Before the handshake completes the bytes are queued and sent
  // once it does; an error after failure or after close().
  Status write_plaintext(ByteView data);
  // Sends close_notify (when the handshake completed); the leg is closed afterwards.
  void close();

  TlsLegState state() const { return state_; }
  // Set when state() is failed.
  const std::optional<TlsFailure>& failure() const { return failure_; }
  // The last alert the peer sent (warning or fatal), e.g. close_notify.
  std::optional<std::uint8_t> last_peer_alert() const { return last_peer_alert_; }
  const TlsLegCounters& counters() const { return counters_; }

  // Negotiated protocol version (0x0303 for TLS 1.2), 0 before the ServerHello.
  std::uint16_t negotiated_version() const;
  // Negotiated suite's IANA code point and RFC name, 0 and "" before the ServerHello.
  std::uint16_t negotiated_suite() const;
  std::string negotiated_suite_name() const;

  // For the owner's queries that only it understands (e.g. the client's view of the peer).
  const SSL* ssl() const { return ssl_.get(); }

 private:
  static void on_info(const SSL* ssl, int where, int ret);
  void fail_from(int ssl_error);
  void read_application_data();
  Status encrypt(ByteView data);

  SslPtr ssl_;
  BIO* network_in_ = nullptr;   // owned by ssl_: what the peer sent, for OpenSSL to read
  BIO* network_out_ = nullptr;  // owned by ssl_: what OpenSSL wrote, for the peer
  TlsLegState state_ = TlsLegState::handshaking;
  std::optional<TlsFailure> failure_;
  std::optional<std::uint8_t> last_peer_alert_;
  bool peer_alert_fatal_ = false;
  std::optional<std::uint8_t> last_sent_alert_;
  bool local_closed_ = false;
  Bytes plaintext_;
  Bytes pending_writes_;
  TlsLegCounters counters_;
};

}  // namespace mitmlab
