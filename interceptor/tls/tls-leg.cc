#include "interceptor/tls/tls-leg.h"

#include <algorithm>
#include <array>
#include <climits>

#include <openssl/err.h>

#include "interceptor/tls/tls-alert.h"

namespace mitmlab {

namespace {

// SSL_CB_ALERT's `ret` packs the alert as level << 8 | description (ssl.h).
constexpr int kAlertLevelFatal = 2;

}  // namespace

std::string_view tls_leg_state_name(TlsLegState state) {
  switch (state) {
    case TlsLegState::handshaking: return "handshaking";
    case TlsLegState::established: return "established";
    case TlsLegState::failed: return "failed";
    case TlsLegState::closed: return "closed";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, TlsLegState state) {
  return os << tls_leg_state_name(state);
}

std::string_view tls_failure_kind_name(TlsFailureKind kind) {
  switch (kind) {
    case TlsFailureKind::peer_alert: return "peer_alert";
    case TlsFailureKind::protocol_error: return "protocol_error";
  }
  return "unknown";
}

Result<std::unique_ptr<TlsLeg>> TlsLeg::create(SslPtr ssl) {
  if (!ssl) return make_error("TlsLeg: no SSL object");
  auto leg = std::make_unique<TlsLeg>(Key{}, std::move(ssl));
  if (!leg->network_in_ || !leg->network_out_) return openssl_error("TlsLeg: BIO_new");
  return leg;
}

TlsLeg::TlsLeg(Key, SslPtr ssl) : ssl_(std::move(ssl)) {
  BioPtr in(BIO_new(BIO_s_mem()));
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!in || !out) return;  // create() reports it
  // An empty input BIO must read as "retry later", never as end of stream: more bytes may
  // arrive with the next feed(). -1 is the memory BIO's default; set it to say so.
  BIO_set_mem_eof_return(in.get(), -1);
  network_in_ = in.release();
  network_out_ = out.release();
  SSL_set_bio(ssl_.get(), network_in_, network_out_);  // ssl_ owns both from here
  SSL_set_app_data(ssl_.get(), this);
  SSL_set_info_callback(ssl_.get(), &TlsLeg::on_info);
}

TlsLeg::~TlsLeg() {
  if (ssl_) SSL_set_info_callback(ssl_.get(), nullptr);
}

// Only records what happened; the state machine reads it after OpenSSL returns, so no
// decision is taken from inside OpenSSL.
void TlsLeg::on_info(const SSL* ssl, int where, int ret) {
  if (!(where & SSL_CB_ALERT)) return;
  auto* leg = static_cast<TlsLeg*>(SSL_get_app_data(ssl));
  if (!leg) return;
  auto description = static_cast<std::uint8_t>(ret & 0xff);
  if (where & SSL_CB_READ) {
    leg->last_peer_alert_ = description;
    leg->peer_alert_fatal_ = ((ret >> 8) & 0xff) == kAlertLevelFatal;
  } else {
    leg->last_sent_alert_ = description;
  }
}

TlsLegState TlsLeg::drive() {
  if (state_ == TlsLegState::handshaking) {
    ERR_clear_error();  // errors left by someone else must not end up in our message
    int rc = SSL_do_handshake(ssl_.get());
    if (rc == 1) {
      state_ = TlsLegState::established;
      if (!pending_writes_.empty()) {
        Bytes queued = std::move(pending_writes_);
        pending_writes_.clear();
        if (Status s = encrypt(queued); !s) return state_;
      }
      // The peer's Finished may share a feed() with its first application data.
      read_application_data();
    } else {
      int err = SSL_get_error(ssl_.get(), rc);
      if (err == SSL_ERROR_ZERO_RETURN) {
        // close_notify before the handshake finished: the peer gave up on us.
        failure_ = TlsFailure{TlsFailureKind::peer_alert, kAlertCloseNotify,
                              alert_name(kAlertCloseNotify), "close_notify during handshake"};
        drain_openssl_errors();
        state_ = TlsLegState::failed;
      } else if (err != SSL_ERROR_WANT_READ) {
        fail_from(err);
      }
    }
  } else if (state_ == TlsLegState::established) {
    read_application_data();
  }
  return state_;
}

TlsLegState TlsLeg::feed(ByteView from_peer) {
  if (state_ == TlsLegState::failed || state_ == TlsLegState::closed) {
    counters_.ignored_after_end += from_peer.size();
    return state_;
  }
  counters_.ciphertext_in += from_peer.size();
  // BIO_write takes an int; a memory BIO grows as needed, so it takes everything.
  while (!from_peer.empty()) {
    std::size_t n = std::min<std::size_t>(from_peer.size(), INT_MAX / 2);
    BIO_write(network_in_, from_peer.data(), static_cast<int>(n));
    from_peer = from_peer.subspan(n);
  }
  return drive();
}

Bytes TlsLeg::take_output() {
  Bytes out(BIO_ctrl_pending(network_out_));
  if (out.empty()) return out;
  int n = BIO_read(network_out_, out.data(), static_cast<int>(out.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  counters_.ciphertext_out += out.size();
  return out;
}

Bytes TlsLeg::read_plaintext() {
  Bytes out = std::move(plaintext_);
  plaintext_.clear();
  return out;
}

Status TlsLeg::write_plaintext(ByteView data) {
  if (state_ == TlsLegState::failed) return make_error("write on a failed TLS leg");
  if (local_closed_) return make_error("write on a TLS leg we closed");
  if (data.empty()) return Ok{};
  if (state_ == TlsLegState::handshaking) {
    pending_writes_.insert(pending_writes_.end(), data.begin(), data.end());
    return Ok{};
  }
  return encrypt(data);
}

Status TlsLeg::encrypt(ByteView data) {
  // A memory BIO never pushes back, so SSL_write_ex takes all of it in one call unless
  // OpenSSL itself fails.
  ERR_clear_error();
  std::size_t written = 0;
  if (SSL_write_ex(ssl_.get(), data.data(), data.size(), &written) != 1 ||
      written != data.size()) {
    Error e = openssl_error("SSL_write_ex");
    failure_ = TlsFailure{TlsFailureKind::protocol_error, std::nullopt, "", e.message};
    state_ = TlsLegState::failed;
    return e;
  }
  counters_.plaintext_out += data.size();
  return Ok{};
}

void TlsLeg::close() {
  if (local_closed_ || state_ == TlsLegState::failed) return;
  local_closed_ = true;
  if (state_ == TlsLegState::established || state_ == TlsLegState::closed) {
    ERR_clear_error();
    // 0 means "sent ours, theirs not seen yet": fine, we do not wait for it.
    SSL_shutdown(ssl_.get());
    drain_openssl_errors();
  }
  state_ = TlsLegState::closed;
}

void TlsLeg::read_application_data() {
  std::array<unsigned char, 16384> buf;
  for (;;) {
    ERR_clear_error();
    std::size_t n = 0;
    int rc = SSL_read_ex(ssl_.get(), buf.data(), buf.size(), &n);
    if (rc == 1) {
      plaintext_.insert(plaintext_.end(), buf.data(), buf.data() + n);
      counters_.plaintext_in += n;
      continue;
    }
    int err = SSL_get_error(ssl_.get(), rc);
    if (err == SSL_ERROR_WANT_READ) return;
    if (err == SSL_ERROR_ZERO_RETURN) {
      state_ = TlsLegState::closed;  // the peer's close_notify
      return;
    }
    fail_from(err);
    return;
  }
}

void TlsLeg::fail_from(int ssl_error) {
  TlsFailure f;
  f.message = drain_openssl_errors();
  if (f.message.empty()) f.message = "SSL_get_error " + std::to_string(ssl_error);
  if (last_peer_alert_ && peer_alert_fatal_) {
    f.kind = TlsFailureKind::peer_alert;
    f.alert = last_peer_alert_;
  } else {
    f.kind = TlsFailureKind::protocol_error;
    f.alert = last_sent_alert_;
  }
  if (f.alert) f.alert_name = alert_name(*f.alert);
  failure_ = std::move(f);
  state_ = TlsLegState::failed;
}

std::uint16_t TlsLeg::negotiated_version() const {
  if (!SSL_get_current_cipher(ssl_.get())) return 0;
  return static_cast<std::uint16_t>(SSL_version(ssl_.get()));
}

std::uint16_t TlsLeg::negotiated_suite() const {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_.get());
  return c ? SSL_CIPHER_get_protocol_id(c) : 0;
}

std::string TlsLeg::negotiated_suite_name() const {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_.get());
  const char* name = c ? SSL_CIPHER_standard_name(c) : nullptr;
  return name ? name : "";
}

}  // namespace mitmlab
