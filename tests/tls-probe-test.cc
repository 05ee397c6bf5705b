// TlsProbe against real OpenSSL servers in memory (tests/support/sni-test-server.h), with a
// virtual clock: SNI and no SNI reach the server, the chain is collected as sent, every
// outcome (ok, alert, reset, closed, timeout, handshake_failure, connect_failed), the
// ClientHello of each profile, and bytes split at every size.
#define BOOST_TEST_MODULE tls_probe
#include "scanner/tls-probe.h"

#include <boost/test/unit_test.hpp>
#include <chrono>

#include "net/client-hello.h"
#include "tests/support/sni-test-server.h"
#include "tests/support/throwaway-pki.h"

using namespace mitmlab;
using namespace mitmlab::test;
using namespace std::chrono_literals;

namespace {

struct Pki {
  ThrowawayChain bank = make_throwaway_chain("bank.kz", "Bank");
  ThrowawayChain social = make_throwaway_chain("facebook.com", "Social");
};
const Pki& pki() {
  static const Pki p;
  return p;
}

ServedChain served(const ThrowawayChain& c) {
  return {c.leaf.cert.get(), c.leaf.key.get(), {c.intermediate.cert.get()}};
}

std::shared_ptr<const SniTestServerContexts> contexts(int max_version = TLS1_3_VERSION,
                                                      int min_version = TLS1_VERSION) {
  SniTestServerOptions o;
  o.default_chain = served(pki().bank);
  o.by_sni["facebook.com"] = served(pki().social);
  o.max_version = max_version;
  o.min_version = min_version;
  return std::make_shared<const SniTestServerContexts>(o);
}

// Its own cache of Certificate messages (none: every probe reads its own), so that no test
// sees what another read.
std::shared_ptr<ProbeContext> probe_context(std::string_view profile = "zgrab2-2019",
                                            std::shared_ptr<CertificateMessageCache> certificates =
                                                std::make_shared<CertificateMessageCache>()) {
  auto p = probe_hello_profile(profile);
  BOOST_TEST_REQUIRE(p.ok());
  auto ctx = ProbeContext::create(*p, std::move(certificates));
  BOOST_TEST_REQUIRE(ctx.ok(), (ctx.ok() ? "" : ctx.message()));
  return *ctx;
}

std::unique_ptr<TlsProbe> make_probe(const TlsProbeOptions& o, Timestamp now,
                                     std::shared_ptr<ProbeContext> ctx = nullptr) {
  auto probe = TlsProbe::create(ctx ? ctx : probe_context(), o, now);
  BOOST_TEST_REQUIRE(probe.ok(), (probe.ok() ? "" : probe.message()));
  return std::move(*probe);
}

// Moves bytes between probe and server, 1 ms of virtual time per delivery; `chunk` > 0
// hands the server's bytes to the probe in pieces of that size.
void converse(TlsProbe& probe, SniTestServer& server, Timestamp& now, std::size_t chunk = 0) {
  for (int round = 0; round < 50 && !probe.done(); ++round) {
    Bytes to_server = probe.take_output();
    if (!to_server.empty()) server.feed(to_server);
    Bytes to_probe = server.take_output();
    if (to_server.empty() && to_probe.empty()) return;
    now += 1ms;
    if (chunk == 0) {
      probe.on_bytes(now, to_probe);
      continue;
    }
    for (std::size_t i = 0; i < to_probe.size() && !probe.done(); i += chunk)
      probe.on_bytes(now, ByteView(to_probe).subspan(i, std::min(chunk, to_probe.size() - i)));
  }
  Bytes last = probe.take_output();  // TLS 1.3: the client's Finished
  if (!last.empty()) server.feed(last);
}

ClientHello hello_of(Bytes record) {
  BOOST_TEST_REQUIRE(record.size() > 5u);
  BOOST_TEST_REQUIRE(record[0] == 22);  // handshake
  auto hello = parse_client_hello(ByteView(record).subspan(5));
  BOOST_TEST_REQUIRE(hello.ok());
  return *hello;
}

}  // namespace

BOOST_AUTO_TEST_CASE(no_sni_reaches_the_server_and_the_default_chain_is_collected) {
  Timestamp now = 100ms;
  auto probe = make_probe({.sni = ""}, now);
  SniTestServer server(contexts());
  now += 20ms;
  probe->on_connected(now);
  converse(*probe, server, now);
  BOOST_TEST_REQUIRE(probe->done());
  const ProbeResult& r = probe->result();
  BOOST_TEST(probe_outcome_name(r.outcome) == "ok");
  BOOST_TEST(server.handshake_done());
  BOOST_TEST_REQUIRE(server.seen_sni().has_value());
  BOOST_TEST(*server.seen_sni() == "");
  BOOST_TEST(r.chain == der_list({pki().bank.leaf.cert.get(), pki().bank.intermediate.cert.get()}));
  BOOST_TEST(r.version == 0x0303);  // zgrab2-2019 stops at TLS 1.2
  BOOST_TEST(r.suite != 0);
  BOOST_TEST(!r.suite_name.empty());
  BOOST_TEST(r.timings.connect.value() == Duration(20ms));
  BOOST_TEST(r.timings.first_byte.value() == Duration(1ms));
  BOOST_TEST(r.timings.handshake.value() == Duration(2ms));  // two server flights
  BOOST_TEST(r.bytes_in > 0u);
  BOOST_TEST(r.bytes_out > 0u);
  BOOST_TEST(!probe->next_timeout().has_value());
}

BOOST_AUTO_TEST_CASE(sni_reaches_the_server_which_picks_its_chain) {
  Timestamp now{};
  auto probe = make_probe({.sni = "facebook.com"}, now);
  SniTestServer server(contexts());
  probe->on_connected(now);
  converse(*probe, server, now);
  BOOST_TEST(probe->result().outcome == ProbeOutcome::ok);
  BOOST_TEST(server.seen_sni().value() == "facebook.com");
  BOOST_TEST(probe->result().chain ==
             der_list({pki().social.leaf.cert.get(), pki().social.intermediate.cert.get()}));
}

BOOST_AUTO_TEST_CASE(server_bytes_split_at_every_size) {
  // The server's first flight (ServerHello .. ServerHelloDone) is the longest; split it at
  // every size from 1 to its length, once each.
  std::size_t flight = 0;
  {
    Timestamp now{};
    auto probe = make_probe({.sni = "facebook.com"}, now);
    SniTestServer server(contexts());
    probe->on_connected(now);
    server.feed(probe->take_output());
    flight = server.take_output().size();
  }
  BOOST_TEST_REQUIRE(flight > 300u);
  auto ctx = probe_context();
  auto served_contexts = contexts();
  const auto expected =
      der_list({pki().social.leaf.cert.get(), pki().social.intermediate.cert.get()});
  for (std::size_t chunk = 1; chunk <= flight; ++chunk) {
    Timestamp now{};
    auto probe = make_probe({.sni = "facebook.com"}, now, ctx);
    SniTestServer server(served_contexts);
    probe->on_connected(now);
    converse(*probe, server, now, chunk);
    BOOST_TEST_REQUIRE(probe->result().outcome == ProbeOutcome::ok, "chunk " << chunk);
    BOOST_TEST_REQUIRE(server.handshake_done(), "chunk " << chunk);
    BOOST_TEST_REQUIRE((probe->result().chain == expected), "chunk " << chunk);
  }
}

BOOST_AUTO_TEST_CASE(stop_at_certificate_ends_before_the_key_exchange) {
  Timestamp now{};
  auto probe = make_probe({.sni = "", .stop = ProbeStop::certificate}, now);
  SniTestServer server(contexts());
  probe->on_connected(now);
  converse(*probe, server, now);
  BOOST_TEST(probe->result().outcome == ProbeOutcome::ok);
  BOOST_TEST(probe->result().chain.size() == 2u);
  BOOST_TEST(!server.handshake_done());  // no ClientKeyExchange was sent
  BOOST_TEST(probe->take_output().empty());
}

// Flips the last byte (inside the signature) of the ServerKeyExchange in a TLS 1.2 flight.
bool spoil_server_key_exchange(Bytes& flight) {
  for (std::size_t r = 0; r + 5 <= flight.size();) {
    const std::size_t length = (std::size_t{flight[r + 3]} << 8) | flight[r + 4];
    if (flight[r] == 22)
      for (std::size_t m = r + 5; m + 4 <= r + 5 + length;) {
        const std::size_t body = (std::size_t{flight[m + 1]} << 16) |
                                 (std::size_t{flight[m + 2]} << 8) | flight[m + 3];
        if (flight[m] == 12 && m + 4 + body <= flight.size()) {
          flight[m + 4 + body - 1] ^= 0x01;
          return true;
        }
        m += 4 + body;
      }
    r += 5 + length;
  }
  return false;
}

BOOST_AUTO_TEST_CASE(stop_at_certificate_reads_nothing_after_the_certificate) {
  // The chain is all a certificate-stop probe wants: a ServerKeyExchange whose signature
  // does not verify is never looked at, where a full handshake fails on it.
  for (ProbeStop stop : {ProbeStop::certificate, ProbeStop::finished}) {
    Timestamp now{};
    auto probe = make_probe({.sni = "facebook.com", .stop = stop}, now);
    SniTestServer server(contexts(TLS1_2_VERSION));
    probe->on_connected(now);
    server.feed(probe->take_output());
    Bytes flight = server.take_output();
    BOOST_TEST_REQUIRE(spoil_server_key_exchange(flight));
    now += 1ms;
    probe->on_bytes(now, flight);
    BOOST_TEST_REQUIRE(probe->done());
    if (stop == ProbeStop::certificate) {
      BOOST_TEST(probe->result().outcome == ProbeOutcome::ok);
      BOOST_TEST(probe->result().chain.size() == 2u);
      BOOST_TEST(probe->result().version == 0x0303);
      BOOST_TEST(probe->result().alert_name.empty());
      BOOST_TEST(probe->take_output().empty());  // not even the alert for the refused chain
    } else {
      BOOST_TEST(probe->result().outcome == ProbeOutcome::handshake_failure);
    }
  }
}

// A certificate-stop probe that meets a Certificate message some probe has read gives what
// reading it would, without OpenSSL reading it again.
BOOST_AUTO_TEST_CASE(a_certificate_message_read_before_is_not_read_again) {
  auto cache = std::make_shared<CertificateMessageCache>();
  auto ctx = probe_context("zgrab2-2019", cache);
  auto served_contexts = contexts(TLS1_2_VERSION);
  auto probe_once = [&](std::size_t chunk) {
    Timestamp now{};
    auto probe = make_probe({.sni = "facebook.com", .stop = ProbeStop::certificate}, now, ctx);
    SniTestServer server(served_contexts);
    probe->on_connected(now);
    converse(*probe, server, now, chunk);
    BOOST_TEST_REQUIRE(probe->done());
    BOOST_TEST(!server.handshake_done());
    BOOST_TEST(probe->take_output().empty());
    return probe->take_result();
  };
  const ProbeResult first = probe_once(0);
  BOOST_TEST(cache->misses() == 1u);
  BOOST_TEST(cache->hits() == 0u);
  BOOST_TEST_REQUIRE(first.outcome == ProbeOutcome::ok);
  BOOST_TEST_REQUIRE(first.certificates.size() == 2u);
  for (std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{1000}}) {
    BOOST_TEST_CONTEXT("chunk " << chunk) {
      const ProbeResult again = probe_once(chunk);
      BOOST_TEST(again.outcome == ProbeOutcome::ok);
      BOOST_TEST((again.chain == first.chain));
      BOOST_TEST(again.certificates.at(0).get() == first.certificates.at(0).get());  // the same parse
      BOOST_TEST(again.version == first.version);
      BOOST_TEST(again.suite == first.suite);
      BOOST_TEST(again.suite_name == first.suite_name);
      BOOST_TEST(again.bytes_out == first.bytes_out);
      BOOST_TEST(again.timings.handshake.value() == first.timings.handshake.value());
    }
  }
  BOOST_TEST(cache->hits() == 4u);
  BOOST_TEST(cache->misses() == 1u);
}

// Sets the ServerHello's cipher suite (TLS 1.2 flight, ServerHello first) to `suite`.
void set_server_hello_suite(Bytes& flight, std::uint16_t suite) {
  BOOST_TEST_REQUIRE(flight.size() > 5u + 4 + 35);
  BOOST_TEST_REQUIRE(flight[5] == 2);
  const std::size_t session_id = 5 + 4 + 2 + 32;
  const std::size_t at = session_id + 1 + flight[session_id];
  flight[at] = static_cast<std::uint8_t>(suite >> 8);
  flight[at + 1] = static_cast<std::uint8_t>(suite);
}

BOOST_AUTO_TEST_CASE(a_known_certificate_message_does_not_pass_a_bad_server_hello) {
  // Whether or not the Certificate message is known, OpenSSL judges the ServerHello: one that
  // picks a suite the probe never offered fails the same way.
  auto cache = std::make_shared<CertificateMessageCache>();
  auto ctx = probe_context("zgrab2-2019", cache);
  std::vector<std::string> errors;
  for (int round = 0; round < 3; ++round) {
    Timestamp now{};
    auto probe = make_probe({.sni = "", .stop = ProbeStop::certificate}, now, ctx);
    SniTestServer server(contexts(TLS1_2_VERSION));
    probe->on_connected(now);
    server.feed(probe->take_output());
    Bytes flight = server.take_output();
    if (round > 0) set_server_hello_suite(flight, 0x1301);  // TLS_AES_128_GCM_SHA256: TLS 1.3 only
    probe->on_bytes(now + 1ms, flight);
    BOOST_TEST_REQUIRE(probe->done());
    if (round == 0) {
      BOOST_TEST(probe->result().outcome == ProbeOutcome::ok);  // the message is known from now on
      continue;
    }
    BOOST_TEST(probe->result().outcome == ProbeOutcome::handshake_failure);
    BOOST_TEST(probe->result().chain.empty());
    errors.push_back(probe->result().error);
  }
  BOOST_TEST(cache->hits() == 2u);
  BOOST_TEST_REQUIRE(errors.size() == 2u);
  BOOST_TEST(errors[0] == errors[1]);
  // And as a probe with no cache reports it.
  Timestamp now{};
  auto probe = make_probe({.sni = "", .stop = ProbeStop::certificate}, now, probe_context("zgrab2-2019", nullptr));
  SniTestServer server(contexts(TLS1_2_VERSION));
  probe->on_connected(now);
  server.feed(probe->take_output());
  Bytes flight = server.take_output();
  set_server_hello_suite(flight, 0x1301);
  probe->on_bytes(now + 1ms, flight);
  BOOST_TEST(probe->result().outcome == ProbeOutcome::handshake_failure);
  BOOST_TEST(probe->result().error == errors[0]);
}

BOOST_AUTO_TEST_CASE(bytes_held_back_decide_before_the_connection_ends) {
  // Half a flight, then the server closes: a ServerHello OpenSSL refuses is a handshake
  // failure and a good one a closed connection, whether or not the probe held the bytes back
  // to read the flight itself.
  for (bool reads_flight : {true, false})
    for (bool bad_hello : {true, false}) {
      BOOST_TEST_CONTEXT("reads the flight: " << reads_flight << ", bad ServerHello: " << bad_hello) {
        Timestamp now{};
        auto ctx = probe_context("zgrab2-2019", reads_flight ? std::make_shared<CertificateMessageCache>() : nullptr);
        auto probe = make_probe({.sni = "", .stop = ProbeStop::certificate}, now, ctx);
        SniTestServer server(contexts(TLS1_2_VERSION));
        probe->on_connected(now);
        server.feed(probe->take_output());
        Bytes flight = server.take_output();
        BOOST_TEST_REQUIRE(flight.size() > 600u);
        if (bad_hello) set_server_hello_suite(flight, 0x1301);
        flight.resize(300);  // the ServerHello and the start of the Certificate
        probe->on_bytes(now + 1ms, flight);
        if (reads_flight) BOOST_TEST(!probe->done());  // still held back
        probe->on_closed(now + 2ms);
        BOOST_TEST_REQUIRE(probe->done());
        BOOST_TEST(probe->result().outcome ==
                   (bad_hello ? ProbeOutcome::handshake_failure : ProbeOutcome::closed));
      }
    }
}

BOOST_AUTO_TEST_CASE(openssl_default_profile_negotiates_tls13) {
  Timestamp now{};
  auto probe = make_probe({.sni = "facebook.com"}, now, probe_context("openssl-default"));
  SniTestServer server(contexts());
  probe->on_connected(now);
  converse(*probe, server, now);
  BOOST_TEST(probe->result().outcome == ProbeOutcome::ok);
  BOOST_TEST(probe->result().version == 0x0304);
  BOOST_TEST(probe->result().chain.size() == 2u);
  BOOST_TEST(server.handshake_done());
}

BOOST_AUTO_TEST_CASE(zgrab2_profile_client_hello_on_the_wire) {
  Timestamp now{};
  auto probe = make_probe({.sni = "google.com"}, now);
  probe->on_connected(now);
  ClientHello hello = hello_of(probe->take_output());
  BOOST_TEST(hello.legacy_version == 0x0303);
  BOOST_TEST(!hello.has_extension(ext::supported_versions));
  BOOST_TEST(!hello.has_extension(std::uint16_t{0x0023}));
  BOOST_TEST(!hello.has_extension(std::uint16_t{0x0017}));
  BOOST_TEST(!hello.has_extension(ext::alpn));
  BOOST_TEST(hello.sni().value() == "google.com");
  BOOST_TEST(hello.cipher_suites.size() == 34u);      // 33 configured + the renegotiation SCSV
  BOOST_TEST(hello.cipher_suites.front() == 0xcca9);  // ECDHE-ECDSA-CHACHA20-POLY1305
  BOOST_TEST(hello.cipher_suites.back() == 0x00ff);
  BOOST_TEST((hello.supported_groups == std::vector<std::uint16_t>{23, 24, 25}));

  auto no_sni = make_probe({.sni = ""}, now);
  no_sni->on_connected(now);
  BOOST_TEST(!hello_of(no_sni->take_output()).has_extension(ext::server_name));
}

BOOST_AUTO_TEST_CASE(server_alert_is_recorded_by_name) {
  // A TLS 1.3-only server refuses the zgrab2-2019 hello (TLS 1.2 at most).
  Timestamp now{};
  auto probe = make_probe({.sni = ""}, now);
  SniTestServer server(contexts(TLS1_3_VERSION, TLS1_3_VERSION));
  probe->on_connected(now);
  converse(*probe, server, now);
  const ProbeResult& r = probe->result();
  BOOST_TEST(r.outcome == ProbeOutcome::alert);
  BOOST_TEST(r.alert_name == "protocol_version");
  BOOST_TEST(r.chain.empty());
}

BOOST_AUTO_TEST_CASE(garbage_from_the_server_is_a_handshake_failure) {
  Timestamp now{};
  auto probe = make_probe({.sni = ""}, now);
  probe->on_connected(now);
  probe->take_output();
  const std::string http = "HTTP/1.1 400 Bad Request\r\n\r\n";
  probe->on_bytes(now, as_bytes(http));
  BOOST_TEST(probe->done());
  BOOST_TEST(probe->result().outcome == ProbeOutcome::handshake_failure);
  BOOST_TEST(!probe->result().error.empty());
}

BOOST_AUTO_TEST_CASE(reset_closed_and_connect_failed) {
  Timestamp now{};
  auto reset = make_probe({}, now);
  reset->on_connected(now);
  reset->on_reset(now + 5ms);
  BOOST_TEST(reset->result().outcome == ProbeOutcome::reset);

  auto closed = make_probe({}, now);
  closed->on_connected(now);
  closed->on_closed(now + 5ms);
  BOOST_TEST(closed->result().outcome == ProbeOutcome::closed);
  closed->on_reset(now + 6ms);  // after done: ignored
  BOOST_TEST(closed->result().outcome == ProbeOutcome::closed);

  auto refused = make_probe({}, now);
  refused->on_connect_failed(now + 1ms, "connection refused");
  BOOST_TEST(refused->result().outcome == ProbeOutcome::connect_failed);
  BOOST_TEST(refused->result().error == "connection refused");
  BOOST_TEST(refused->take_output().empty());  // never connected: no ClientHello
}

BOOST_AUTO_TEST_CASE(timeout_on_the_virtual_clock) {
  Timestamp start = 1s;
  auto probe = make_probe({.timeout = 3s}, start);
  BOOST_TEST(probe->next_timeout().value() == start + Duration(3s));
  probe->on_connected(start + 1s);
  probe->on_timeout(start + 2s);  // early: a no-op
  BOOST_TEST(!probe->done());
  probe->on_timeout(start + 3s);
  BOOST_TEST(probe->done());
  BOOST_TEST(probe->result().outcome == ProbeOutcome::timeout);
  BOOST_TEST(!probe->next_timeout().has_value());
  probe->on_timeout(start + 4s);  // repeated: a no-op
  BOOST_TEST(probe->result().outcome == ProbeOutcome::timeout);
}

BOOST_AUTO_TEST_CASE(profiles_by_name) {
  BOOST_TEST(probe_hello_profile("zgrab2-2019").ok());
  BOOST_TEST(probe_hello_profile("openssl-default").ok());
  auto bad = probe_hello_profile("chrome");
  BOOST_TEST(!bad.ok());
  BOOST_TEST(bad.message().find("zgrab2-2019") != std::string::npos);
  BOOST_TEST(tls_alert_name(48) == "unknown_ca");
  BOOST_TEST(tls_alert_name(40) == "handshake_failure");
  BOOST_TEST(tls_alert_name(200) == "alert_200");
}
