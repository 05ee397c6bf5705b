#include "scanner/tls-probe.h"

#include <openssl/err.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <variant>

#include "net/tls-record.h"
#include "scanner/plain-server-flight.h"

namespace mitmlab {

namespace {

// SSL_CB_ALERT's `ret` packs the alert as level << 8 | description (ssl.h).
constexpr int kAlertLevelFatal = 2;

}  // namespace

std::string_view probe_outcome_name(ProbeOutcome outcome) {
  switch (outcome) {
    case ProbeOutcome::ok:
      return "ok";
    case ProbeOutcome::alert:
      return "alert";
    case ProbeOutcome::reset:
      return "reset";
    case ProbeOutcome::timeout:
      return "timeout";
    case ProbeOutcome::closed:
      return "closed";
    case ProbeOutcome::handshake_failure:
      return "handshake_failure";
    case ProbeOutcome::connect_failed:
      return "connect_failed";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, ProbeOutcome outcome) {
  return os << probe_outcome_name(outcome);
}

// OpenSSL's long alert texts ("unknown CA", "handshake failure") are the IANA names with
// spaces; lower-cased and joined with '_' they are the registry names.
std::string tls_alert_name(std::uint8_t description) {
  std::string text = SSL_alert_desc_string_long(description);
  if (text.empty() || text == "unknown") return "alert_" + std::to_string(description);
  for (char& c : text) c = c == ' ' ? '_' : static_cast<char>(std::tolower(c));
  return text;
}

std::vector<std::shared_ptr<X509>> parsed_chain(const ProbeResult& result) {
  if (result.certificates.size() == result.chain.size()) return result.certificates;
  std::vector<std::shared_ptr<X509>> out;
  for (const Bytes& der : result.chain) {
    auto cert = x509_from_der(der);
    out.push_back(cert ? std::shared_ptr<X509>(std::move(*cert)) : nullptr);
  }
  return out;
}

std::vector<X509*> raw_chain(const std::vector<std::shared_ptr<X509>>& chain) {
  std::vector<X509*> out;
  for (const auto& c : chain) out.push_back(c.get());
  return out;
}

Result<std::shared_ptr<ProbeContext>> ProbeContext::create(const ProbeHelloProfile& profile,
                                                            std::shared_ptr<CertificateMessageCache> certificates) {
  auto ctx = make_probe_context(profile);
  if (!ctx) return ctx.error();
  SSL_CTX_set_cert_verify_callback(ctx->get(), &TlsProbe::on_certificate, nullptr);
  return std::shared_ptr<ProbeContext>(new ProbeContext(profile, std::move(*ctx), std::move(certificates)));
}

Result<std::unique_ptr<TlsProbe>> TlsProbe::create(std::shared_ptr<ProbeContext> context,
                                                   const TlsProbeOptions& options, Timestamp now) {
  if (!context) return make_error("TlsProbe: no context");
  if (options.sni.find('\0') != std::string::npos) return make_error("TlsProbe: NUL in SNI");
  auto probe = std::make_unique<TlsProbe>(Key{}, std::move(context), options, now);
  if (!probe->ssl_) return openssl_error("TlsProbe: SSL_new");
  if (!probe->in_ || !probe->out_) return openssl_error("TlsProbe: BIO_new");
  // The chain callback can end a handshake only when verification is on; it still decides.
  if (options.stop == ProbeStop::certificate) {
    SSL_set_verify(probe->ssl_.get(), SSL_VERIFY_PEER, nullptr);
    probe->reading_plain_flight_ = probe->context_->certificates() != nullptr;
  }
  if (!options.sni.empty() && SSL_set_tlsext_host_name(probe->ssl_.get(), options.sni.c_str()) != 1)
    return openssl_error("TlsProbe: SNI refused: " + options.sni);
  return probe;
}

TlsProbe::TlsProbe(Key, std::shared_ptr<ProbeContext> context, TlsProbeOptions options,
                   Timestamp now)
    : context_(std::move(context)),
      options_(std::move(options)),
      started_(now),
      deadline_(now + options_.timeout) {
  ssl_.reset(SSL_new(context_->get()));
  if (!ssl_) return;
  BioPtr in(BIO_new(BIO_s_mem()));
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!in || !out) return;
  // An empty input BIO reads as "retry later": more bytes may come with the next call.
  BIO_set_mem_eof_return(in.get(), -1);
  in_ = in.release();
  out_ = out.release();
  SSL_set_bio(ssl_.get(), in_, out_);
  SSL_set_app_data(ssl_.get(), this);
  SSL_set_info_callback(ssl_.get(), &TlsProbe::on_info);
  SSL_set_connect_state(ssl_.get());
}

TlsProbe::~TlsProbe() {
  if (ssl_) SSL_set_info_callback(ssl_.get(), nullptr);
}

// Replaces OpenSSL's verification: records the chain as sent and accepts it, or, when the
// probe stops at the certificate, ends the handshake here, before OpenSSL reads on (the
// ServerKeyExchange signature check and the key exchange are most of a client's work).
int TlsProbe::on_certificate(X509_STORE_CTX* store_ctx, void*) {
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* probe = ssl ? static_cast<TlsProbe*>(SSL_get_app_data(ssl)) : nullptr;
  if (!probe) return 1;
  ProbeResult& r = probe->result_;
  r.chain.clear();
  r.certificates.clear();
  auto keep = [&r](X509* cert) {
    r.chain.push_back(x509_to_der(cert));
    if (X509_up_ref(cert) == 1) r.certificates.push_back(std::shared_ptr<X509>(X509Ptr(cert)));
  };
  STACK_OF(X509)* sent = X509_STORE_CTX_get0_untrusted(store_ctx);
  if (sent && sk_X509_num(sent) > 0) {
    for (int i = 0; i < sk_X509_num(sent); ++i) keep(sk_X509_value(sent, i));
  } else if (X509* leaf = X509_STORE_CTX_get0_cert(store_ctx)) {
    keep(leaf);
  }
  if (r.certificates.size() != r.chain.size()) r.certificates.clear();  // parsed_chain decodes
  if (probe->options_.stop == ProbeStop::certificate && !r.chain.empty()) {
    if (probe->certificate_key_ && !r.certificates.empty())
      probe->context_->certificates()->insert(*probe->certificate_key_, {r.chain, r.certificates});
    probe->stopped_at_certificate_ = true;
    X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  return 1;
}

// Only records; decisions are taken after OpenSSL returns.
void TlsProbe::on_info(const SSL* ssl, int where, int ret) {
  if (!(where & SSL_CB_ALERT)) return;
  auto* probe = static_cast<TlsProbe*>(SSL_get_app_data(ssl));
  if (!probe) return;
  auto description = static_cast<std::uint8_t>(ret & 0xff);
  if (where & SSL_CB_READ) {
    probe->peer_alert_ = description;
    probe->peer_alert_fatal_ = ((ret >> 8) & 0xff) == kAlertLevelFatal;
  } else {
    probe->sent_alert_ = description;
  }
}

void TlsProbe::on_connected(Timestamp now) {
  if (state_ != State::connecting) return;
  connected_at_ = now;
  result_.timings.connect = now - started_;
  state_ = State::handshaking;
  drive(now);  // writes the ClientHello
}

void TlsProbe::on_connect_failed(Timestamp now, std::string_view why) {
  if (state_ != State::connecting) return;
  finish(now, ProbeOutcome::connect_failed, why.empty() ? "connect failed" : std::string(why));
}

void TlsProbe::on_bytes(Timestamp now, ByteView bytes) {
  if (state_ != State::handshaking || bytes.empty()) return;
  if (!result_.timings.first_byte) result_.timings.first_byte = now - connected_at_;
  result_.bytes_in += bytes.size();
  if (reading_plain_flight_) {
    held_.insert(held_.end(), bytes.begin(), bytes.end());
    read_plain_flight(now);
    return;
  }
  feed(bytes);
  drive(now);
}

void TlsProbe::feed(ByteView bytes) {
  while (!bytes.empty()) {
    std::size_t n = std::min<std::size_t>(bytes.size(), INT_MAX / 2);
    BIO_write(in_, bytes.data(), static_cast<int>(n));
    bytes = bytes.subspan(n);
  }
}

// Reads the plain ServerHello and Certificate of the held bytes. A Certificate message some
// probe has read before ends the probe with that reading; OpenSSL still reads the
// ServerHello (it checks it and negotiates from it) but not the certificates. Anything else
// (a miss, an alert, TLS 1.3, odd framing) goes to OpenSSL as it came, and on a miss
// on_certificate files what OpenSSL made of the message.
void TlsProbe::read_plain_flight(Timestamp now) {
  PlainFlightRead read = read_server_hello_and_certificate(held_);
  if (std::holds_alternative<FlightIncomplete>(read)) return;
  Bytes held = stop_holding();
  auto* flight = std::get_if<ServerHelloAndCertificate>(&read);
  CertificateMessageCache* cache = context_->certificates();
  std::optional<CertificateMessageCache::Chain> known;
  if (flight) {
    certificate_key_ = cache->key_of(flight->certificate);
    if (certificate_key_) known = cache->find(*certificate_key_);
  }
  if (!known) {
    feed(held);
    drive(now);
    return;
  }
  feed(write_record(ContentType::handshake, flight->record_version, flight->server_hello));
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl_.get());
  const bool wants_more = rc <= 0 && SSL_get_error(ssl_.get(), rc) == SSL_ERROR_WANT_READ;
  if (!wants_more) {
    conclude(now, rc);  // OpenSSL refused the ServerHello: reported as it would be
    return;
  }
  if (SSL_version(ssl_.get()) < TLS1_3_VERSION) {
    // As if on_certificate had stopped the handshake on this chain.
    result_.chain = std::move(known->der);
    result_.certificates = std::move(known->certificates);
    stopped_at_certificate_ = true;
    conclude(now, rc);
    return;
  }
  // TLS 1.3 after all: the rest as it would have come.
  certificate_key_.reset();
  Bytes rest = std::move(flight->certificate);
  rest.insert(rest.end(), flight->rest.begin(), flight->rest.end());
  feed(write_records(ContentType::handshake, flight->record_version, rest, kMaxPlaintextFragment));
  feed(ByteView(held).subspan(flight->consumed));
  drive(now);
}

// From now on the server's bytes go straight to OpenSSL; returns those held so far.
Bytes TlsProbe::stop_holding() {
  reading_plain_flight_ = false;
  Bytes held = std::move(held_);
  held_.clear();
  return held;
}

// Bytes held back while reading the plain flight go to OpenSSL before the connection's end
// is judged, so that what they hold decides as it would have (a ServerHello OpenSSL
// refuses is a handshake failure, not a closed connection). OpenSSL then reads them at the
// end rather than as they came: only a flight cut short shows it, in when the probe ends.
void TlsProbe::release_held(Timestamp now) {
  if (!reading_plain_flight_) return;
  Bytes held = stop_holding();
  if (held.empty()) return;
  feed(held);
  drive(now);
}

void TlsProbe::on_closed(Timestamp now) {
  release_held(now);
  if (state_ == State::done) return;
  finish(now, state_ == State::connecting ? ProbeOutcome::connect_failed : ProbeOutcome::closed,
         "connection closed by the server");
}

void TlsProbe::on_reset(Timestamp now) {
  release_held(now);
  if (state_ == State::done) return;
  finish(now, state_ == State::connecting ? ProbeOutcome::connect_failed : ProbeOutcome::reset,
         "connection reset");
}

void TlsProbe::on_timeout(Timestamp now) {
  if (state_ == State::done || now < deadline_) return;
  release_held(now);
  if (state_ == State::done) return;
  finish(now, ProbeOutcome::timeout,
         state_ == State::connecting ? "no connection before the deadline"
                                     : "no handshake before the deadline");
}

std::optional<Timestamp> TlsProbe::next_timeout() const {
  if (state_ == State::done) return std::nullopt;
  return deadline_;
}

Bytes TlsProbe::take_output() {
  Bytes out(BIO_ctrl_pending(out_));
  if (out.empty()) return out;
  int n = BIO_read(out_, out.data(), static_cast<int>(out.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  result_.bytes_out += out.size();
  return out;
}

void TlsProbe::drive(Timestamp now) {
  ERR_clear_error();
  conclude(now, SSL_do_handshake(ssl_.get()));
}

// What a call to SSL_do_handshake that returned `rc` means for the probe.
void TlsProbe::conclude(Timestamp now, int rc) {
  if (rc == 1) {
    record_negotiated();
    finish(now, ProbeOutcome::ok);
    return;
  }
  if (stopped_at_certificate_) {
    record_negotiated();
    // Abandon the handshake: the alert OpenSSL queued for the refused chain is not sent.
    (void)BIO_reset(out_);
    ERR_clear_error();
    finish(now, ProbeOutcome::ok);
    return;
  }
  int err = SSL_get_error(ssl_.get(), rc);
  if (err == SSL_ERROR_WANT_READ) return;
  record_negotiated();
  std::string message = drain_openssl_errors();
  if (peer_alert_ && peer_alert_fatal_) {
    result_.alert = peer_alert_;
    result_.alert_name = tls_alert_name(*peer_alert_);
    finish(now, ProbeOutcome::alert, "server alert " + result_.alert_name);
    return;
  }
  if (err == SSL_ERROR_ZERO_RETURN) {
    finish(now, ProbeOutcome::alert, "close_notify during the handshake");
    return;
  }
  if (sent_alert_) {
    result_.alert = sent_alert_;
    result_.alert_name = tls_alert_name(*sent_alert_);
  }
  if (message.empty()) message = "SSL_get_error " + std::to_string(err);
  finish(now, ProbeOutcome::handshake_failure, message);
}

void TlsProbe::record_negotiated() {
  // Before the Finished messages the suite is still the pending one.
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_.get());
  if (!c) c = SSL_get_pending_cipher(ssl_.get());
  if (!c) return;
  result_.version = static_cast<std::uint16_t>(SSL_version(ssl_.get()));
  result_.suite = SSL_CIPHER_get_protocol_id(c);
  const char* name = SSL_CIPHER_standard_name(c);
  result_.suite_name = name ? name : "";
}

void TlsProbe::finish(Timestamp now, ProbeOutcome outcome, std::string error) {
  state_ = State::done;
  result_.outcome = outcome;
  result_.error = std::move(error);
  // ok needs a connection, so connected_at_ is set.
  if (outcome == ProbeOutcome::ok) result_.timings.handshake = now - connected_at_;
}

}  // namespace mitmlab
