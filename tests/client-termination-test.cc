#define BOOST_TEST_MODULE client_termination
#include <boost/test/unit_test.hpp>

#include "interceptor/tls/client-termination.h"
#include "tests/support/openssl-test-peer.h"
#include "tests/support/throwaway-pki.h"

using namespace mitmlab;
using namespace mitmlab::test;

namespace {

// Generated once per run: key generation is the slow part of these tests.
const ThrowawayChain& ec_chain() {
  static const ThrowawayChain chain = make_throwaway_chain("facebook.com", "Qaznet Test");
  return chain;
}

ClientTermination terminate_with(const ThrowawayChain& c, TerminationOptions options = {}) {
  auto t = ClientTermination::create(
      {c.leaf.cert.get(), {c.intermediate.cert.get()}, c.leaf.key.get()}, options);
  if (!t) throw std::runtime_error(t.message());
  return std::move(*t);
}

OpenSslTestPeer trusting_client(const ThrowawayChain& c, int max_version = TLS1_3_VERSION) {
  TestClientOptions o;
  o.trusted_root = c.root.cert.get();
  o.sni = "facebook.com";
  o.max_version = max_version;
  o.verify_time = utc_time(2019, 7, 20);
  return OpenSslTestPeer::client(o);
}

// Deterministic, non-repeating-looking bytes: a broken relay cannot pass by accident.
Bytes pattern(std::size_t n, std::uint32_t seed) {
  Bytes out(n);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& b : out) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(trusting_client_completes_and_sees_exactly_leaf_and_intermediate) {
  ClientTermination term = terminate_with(ec_chain());
  OpenSslTestPeer client = trusting_client(ec_chain());
  BOOST_TEST(tls_leg_state_name(term.state()) == "handshaking");
  pump(client, term);

  BOOST_TEST_REQUIRE(client.handshake_done(), client.error());
  BOOST_TEST(client.verify_result() == X509_V_OK);
  BOOST_TEST(tls_leg_state_name(term.state()) == "established");
  BOOST_TEST((client.peer_chain_der() ==
              der_list({ec_chain().leaf.cert.get(), ec_chain().intermediate.cert.get()})),
             "the chain on the wire is leaf + intermediate, the root is not sent");
  // 2019 default: TLS 1.2 even to a client offering 1.3.
  BOOST_TEST(term.negotiated_version() == kTls12);
  BOOST_TEST(client.version() == TLS1_2_VERSION);
  BOOST_TEST(term.negotiated_suite() != 0);
  BOOST_TEST(!term.negotiated_suite_name().empty());
  BOOST_TEST(term.client_sni().value_or("") == "facebook.com");
  BOOST_TEST(!term.failure().has_value());
}

BOOST_AUTO_TEST_CASE(application_data_round_trips_byte_identical_both_ways) {
  for (int max : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    BOOST_TEST_CONTEXT("max version " << std::hex << max) {
      TerminationOptions options;
      options.max_version = static_cast<std::uint16_t>(max);
      ClientTermination term = terminate_with(ec_chain(), options);
      OpenSslTestPeer client = trusting_client(ec_chain());
      pump(client, term);
      BOOST_TEST_REQUIRE(term.state() == TlsLegState::established);
      BOOST_TEST(term.negotiated_version() == max);

      Bytes up = pattern(150'000, 1);
      Bytes down = pattern(170'001, 2);
      client.write(up);
      BOOST_TEST(term.write_plaintext(down).ok());
      pump(client, term);
      BOOST_TEST((term.read_plaintext() == up));
      BOOST_TEST((client.read_plaintext() == down));
      BOOST_TEST(term.read_plaintext().empty(), "read_plaintext hands each byte out once");
      BOOST_TEST(term.counters().plaintext_in == up.size());
      BOOST_TEST(term.counters().plaintext_out == down.size());
    }
  }
}

BOOST_AUTO_TEST_CASE(client_not_trusting_the_ca_fails_and_its_alert_is_reported) {
  for (int max : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    BOOST_TEST_CONTEXT("max version " << std::hex << max) {
      TerminationOptions options;
      options.max_version = static_cast<std::uint16_t>(max);
      ClientTermination term = terminate_with(ec_chain(), options);
      TestClientOptions no_roots;
      no_roots.sni = "facebook.com";
      OpenSslTestPeer client = OpenSslTestPeer::client(no_roots);
      pump(client, term);

      BOOST_TEST(client.failed());
      BOOST_TEST(client.verify_result() == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
      BOOST_TEST_REQUIRE(term.state() == TlsLegState::failed);
      BOOST_TEST_REQUIRE(term.failure().has_value());
      BOOST_TEST(tls_failure_kind_name(term.failure()->kind) == "peer_alert");
      BOOST_TEST(term.failure()->alert_name == "unknown_ca");
      BOOST_TEST(term.failure()->alert.value_or(0) == 48);
      BOOST_TEST(!term.failure()->message.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(client_at_a_time_after_notafter_sends_certificate_expired) {
  ClientTermination term = terminate_with(ec_chain());
  TestClientOptions o;
  o.trusted_root = ec_chain().root.cert.get();
  o.verify_time = utc_time(2050, 1, 1);
  OpenSslTestPeer client = OpenSslTestPeer::client(o);
  pump(client, term);
  BOOST_TEST(client.verify_result() == X509_V_ERR_CERT_HAS_EXPIRED);
  BOOST_TEST_REQUIRE(term.failure().has_value());
  BOOST_TEST(term.failure()->alert_name == "certificate_expired");
}

BOOST_AUTO_TEST_CASE(every_chunk_size_from_1_to_80_gives_the_same_session) {
  // Both directions cut into pieces of every size: records and handshake messages split
  // at every offset, so no state may depend on where a feed() ends.
  Bytes up = pattern(3000, 3);
  Bytes down = pattern(2500, 4);
  for (std::size_t chunk = 1; chunk <= 80; ++chunk) {
    BOOST_TEST_CONTEXT("chunk " << chunk) {
      ClientTermination term = terminate_with(ec_chain());
      OpenSslTestPeer client = trusting_client(ec_chain());
      pump(client, term, chunk);
      BOOST_TEST_REQUIRE(term.state() == TlsLegState::established);
      client.write(up);
      BOOST_TEST(term.write_plaintext(down).ok());
      pump(client, term, chunk);
      BOOST_TEST((term.read_plaintext() == up));
      BOOST_TEST((client.read_plaintext() == down));
    }
  }
}

BOOST_AUTO_TEST_CASE(no_session_tickets_in_either_version) {
  for (int max : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    BOOST_TEST_CONTEXT("max version " << std::hex << max) {
      TerminationOptions options;
      options.max_version = static_cast<std::uint16_t>(max);
      ClientTermination term = terminate_with(ec_chain(), options);
      OpenSslTestPeer client = trusting_client(ec_chain());
      // Step by step, to see what the termination sends after the client's Finished.
      term.feed(client.take_output());     // ClientHello
      client.feed(term.take_output());     // server flight
      term.feed(client.take_output());     // client's second flight (TLS 1.2: + Finished)
      Bytes after = term.take_output();
      if (max == TLS1_2_VERSION) {
        client.feed(after);                // TLS 1.2: server's CCS + Finished
        BOOST_TEST(client.handshake_done());
      } else {
        // TLS 1.3: OpenSSL would send NewSessionTickets here; with tickets off, nothing.
        BOOST_TEST(after.empty());
      }
      BOOST_TEST(term.state() == TlsLegState::established);
      pump(client, term);
      BOOST_TEST(SSL_SESSION_has_ticket(SSL_get0_session(client.ssl())) == 0);
      if (max == TLS1_2_VERSION) {
        // No server-side cache: an empty session id, nothing a client could resume with.
        unsigned int id_length = 99;
        SSL_SESSION_get_id(SSL_get0_session(client.ssl()), &id_length);
        BOOST_TEST(id_length == 0u);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(serves_an_rsa_2048_e3_leaf_like_the_2019_forgeries) {
  static const ThrowawayChain chain =
      make_throwaway_chain("vk.com", "Qaznet Test", ThrowawayKeyType::rsa_2048_e3);
  ClientTermination term = terminate_with(chain);
  OpenSslTestPeer client = trusting_client(chain);
  pump(client, term);
  BOOST_TEST_REQUIRE(client.handshake_done(), client.error());
  X509Ptr seen(SSL_get1_peer_certificate(client.ssl()));
  BIGNUM* e = nullptr;
  BOOST_TEST_REQUIRE(EVP_PKEY_get_bn_param(X509_get0_pubkey(seen.get()), "e", &e) == 1);
  BignumPtr owned(e);
  BOOST_TEST(BN_is_word(e, 3) == 1);
  BOOST_TEST(term.state() == TlsLegState::established);
}

BOOST_AUTO_TEST_CASE(close_notify_each_way) {
  ClientTermination term = terminate_with(ec_chain());
  OpenSslTestPeer client = trusting_client(ec_chain());
  pump(client, term);
  client.write(as_bytes("last words"));
  client.shutdown();
  pump(client, term);
  BOOST_TEST(tls_leg_state_name(term.state()) == "closed");
  BOOST_TEST(std::string(as_chars(term.read_plaintext())) == "last words");
  BOOST_TEST(!client.received_close_notify());
  term.close();
  pump(client, term);
  BOOST_TEST(client.received_close_notify());
  BOOST_TEST(!term.write_plaintext(as_bytes("x")).ok(), "no writes after our close_notify");
}

BOOST_AUTO_TEST_CASE(plaintext_http_instead_of_a_client_hello_is_a_protocol_error) {
  ClientTermination term = terminate_with(ec_chain());
  BOOST_TEST(term.feed(as_bytes("GET / HTTP/1.1\r\nHost: facebook.com\r\n\r\n")) ==
             TlsLegState::failed);
  BOOST_TEST_REQUIRE(term.failure().has_value());
  BOOST_TEST(tls_failure_kind_name(term.failure()->kind) == "protocol_error");
  BOOST_TEST(!term.failure()->message.empty());
  BOOST_TEST(term.feed(as_bytes("more")) == TlsLegState::failed);
  BOOST_TEST(term.counters().ignored_after_end == 4);
}

BOOST_AUTO_TEST_CASE(writes_before_the_handshake_completes_are_sent_after_it) {
  ClientTermination term = terminate_with(ec_chain());
  OpenSslTestPeer client = trusting_client(ec_chain());
  BOOST_TEST(term.write_plaintext(as_bytes("early ")).ok());
  BOOST_TEST(term.write_plaintext(as_bytes("bytes")).ok());
  pump(client, term);
  BOOST_TEST(std::string(as_chars(client.read_plaintext())) == "early bytes");
}

BOOST_AUTO_TEST_CASE(tls13_data_in_the_same_feed_as_the_clients_finished_is_read_at_once) {
  TerminationOptions options;
  options.max_version = kTls13;
  ClientTermination term = terminate_with(ec_chain(), options);
  OpenSslTestPeer client = trusting_client(ec_chain());
  term.feed(client.take_output());
  client.feed(term.take_output());
  BOOST_TEST_REQUIRE(client.handshake_done());  // TLS 1.3: the client is done first
  client.write(as_bytes("GET / HTTP/1.1\r\n"));
  // One feed: the client's Finished and its first application record.
  BOOST_TEST(term.feed(client.take_output()) == TlsLegState::established);
  BOOST_TEST(std::string(as_chars(term.read_plaintext())) == "GET / HTTP/1.1\r\n");
}

BOOST_AUTO_TEST_CASE(create_refuses_a_key_that_is_not_the_leafs) {
  static const ThrowawayChain other = make_throwaway_chain("ok.ru", "Other");
  const ThrowawayChain& c = ec_chain();
  auto t = ClientTermination::create(
      {c.leaf.cert.get(), {c.intermediate.cert.get()}, other.leaf.key.get()});
  BOOST_TEST(!t.ok());
  auto no_leaf = ClientTermination::create({nullptr, {}, c.leaf.key.get()});
  BOOST_TEST(!no_leaf.ok());
  TerminationOptions bad;
  bad.max_version = 0x0300;
  BOOST_TEST(!ClientTermination::create({c.leaf.cert.get(), {}, c.leaf.key.get()}, bad).ok());
}
