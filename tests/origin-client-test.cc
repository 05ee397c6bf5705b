#define BOOST_TEST_MODULE origin_client
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "interceptor/tls/origin-client.h"
#include "net/client-hello.h"
#include "net/tls-fingerprint.h"
#include "net/tls-record.h"
#include "tests/support/openssl-client-hello.h"
#include "tests/support/openssl-test-peer.h"
#include "tests/support/throwaway-pki.h"

using namespace mitmlab;
using namespace mitmlab::test;

namespace {

const ThrowawayChain& ec_chain() {
  static const ThrowawayChain chain = make_throwaway_chain("bank.kz", "Origin Test");
  return chain;
}

const ThrowawayChain& rsa_chain() {
  static const ThrowawayChain chain =
      make_throwaway_chain("bank.kz", "Origin Test RSA", ThrowawayKeyType::rsa_2048_e3);
  return chain;
}

OpenSslTestPeer origin_server(const ThrowawayChain& c, std::string cipher_list = "",
                              int max_version = TLS1_3_VERSION) {
  TestServerOptions o;
  o.leaf = c.leaf.cert.get();
  o.key = c.leaf.key.get();
  o.intermediates = {c.intermediate.cert.get()};
  o.cipher_list = std::move(cipher_list);
  o.max_version = max_version;
  return OpenSslTestPeer::server(o);
}

OriginClient origin_client(std::string_view sni = "facebook.com",
                           const OriginHelloProfile& profile = {}) {
  auto c = OriginClient::create(profile, sni);
  if (!c) throw std::runtime_error(c.message());
  return std::move(*c);
}

ClientHello parse_hello(const Bytes& records) {
  auto hello = parse_client_hello(handshake_payload(records));
  if (!hello) throw std::runtime_error("not a ClientHello");
  return hello.value();
}

Bytes pattern(std::size_t n, std::uint32_t seed) {
  Bytes out(n);
  std::uint32_t x = seed * 2654435761u + 7;
  for (auto& b : out) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  return out;
}

// The suites the kz-2019 profile documents, in order, SCSV last.
const std::vector<std::uint16_t> kKz2019Suites = {0xc02b, 0xc02f, 0xc02c, 0xc030, 0xc009,
                                                  0xc013, 0xc00a, 0xc014, 0x0033, 0x0039,
                                                  0x002f, 0x0035, 0x00ff};
constexpr const char* kKz2019Ja3 =
    "771,49195-49199-49196-49200-49161-49171-49162-49172-51-57-47-53-255,0-11-10-35-13,"
    "23-24-25,0-1-2";

}  // namespace

BOOST_AUTO_TEST_CASE(kz2019_client_hello_has_the_shape_seen_in_2019) {
  OriginClient client = origin_client("facebook.com");
  Bytes out = client.take_output();
  auto record = next_record(out, RecordProtection::plaintext);
  BOOST_TEST_REQUIRE(record.ok());
  BOOST_TEST_REQUIRE(record.value().has_value());
  BOOST_TEST(record.value()->header.type == static_cast<std::uint8_t>(ContentType::handshake));
  BOOST_TEST(record.value()->header.legacy_version == kTls10, "record version TLS 1.0");

  ClientHello hello = parse_hello(out);
  BOOST_TEST(hello.legacy_version == kTls12, "ClientHello version TLS 1.2");
  BOOST_TEST(hello.cipher_suites.size() == 13u);
  BOOST_TEST(hello.cipher_suites == kKz2019Suites, boost::test_tools::per_element());
  BOOST_TEST(hello.supported_versions.empty(), "no TLS 1.3");
  BOOST_TEST(!hello.has_extension(ext::alpn));
  BOOST_TEST(hello.sni().value_or("") == "facebook.com");
  BOOST_TEST(ja3_string(hello) == kKz2019Ja3);
  BOOST_TEST(ja3_hash(hello) == "42e6d1dc7ab0967aea54759e6b69dcaa");
  BOOST_TEST(ja4(hello) == "t12d130500_3b77a0fc82ec_c70a3c84db07");
  BOOST_TEST(client.state() == TlsLegState::handshaking);
}

BOOST_AUTO_TEST_CASE(kz2019_ja3_differs_from_openssl_default_clients) {
  ClientHello ours = parse_hello(origin_client("facebook.com").take_output());
  ClientHelloOptions tls13;
  tls13.sni = "facebook.com";
  ClientHelloOptions tls12 = tls13;
  tls12.tls13 = false;
  for (const ClientHelloOptions& o : {tls13, tls12}) {
    ClientHello theirs = parse_hello(openssl_client_hello(o));
    BOOST_TEST(ja3_hash(ours) != ja3_hash(theirs));
    BOOST_TEST(ja4(ours) != ja4(theirs));
  }
  // The "openssl-default" profile is what OpenSSL sends when left alone.
  auto plain = origin_hello_profile("openssl-default");
  BOOST_TEST_REQUIRE(plain.ok());
  ClientHello modern = parse_hello(origin_client("facebook.com", *plain).take_output());
  BOOST_TEST(ja3_string(modern) == ja3_string(parse_hello(openssl_client_hello(tls13))));
  BOOST_TEST(ja3_hash(modern) != ja3_hash(ours));
}

BOOST_AUTO_TEST_CASE(no_sni_no_server_name_and_alpn_only_when_asked) {
  ClientHello bare = parse_hello(origin_client("").take_output());
  BOOST_TEST(!bare.has_extension(ext::server_name));
  BOOST_TEST(ja3_string(bare) ==
             "771,49195-49199-49196-49200-49161-49171-49162-49172-51-57-47-53-255,11-10-35-13,"
             "23-24-25,0-1-2");

  OriginHelloProfile with_alpn;
  with_alpn.alpn = {"h2", "http/1.1"};
  ClientHello h = parse_hello(origin_client("x.kz", with_alpn).take_output());
  BOOST_TEST(h.alpn_protocols == (std::vector<std::string>{"h2", "http/1.1"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(handshake_with_a_real_server_chain_and_plaintext_both_ways) {
  OriginClient client = origin_client("facebook.com");
  OpenSslTestPeer server = origin_server(ec_chain());
  pump(client, server);
  BOOST_TEST_REQUIRE(client.state() == TlsLegState::established);
  BOOST_TEST_REQUIRE(server.handshake_done(), server.error());
  BOOST_TEST((client.server_chain_der() ==
              der_list({ec_chain().leaf.cert.get(), ec_chain().intermediate.cert.get()})));
  BOOST_TEST(client.negotiated_version() == kTls12);
  // The server follows the client's order: the first suite an ECDSA server can use.
  BOOST_TEST(client.negotiated_suite() == 0xc02b);
  BOOST_TEST(client.negotiated_suite_name() == "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
  BOOST_TEST(std::string(SSL_get_servername(server.ssl(), TLSEXT_NAMETYPE_host_name)) ==
             "facebook.com");

  Bytes up = pattern(120'000, 5);
  Bytes down = pattern(230'000, 6);
  BOOST_TEST(client.write_plaintext(up).ok());
  server.write(down);
  pump(client, server);
  BOOST_TEST((server.read_plaintext() == up));
  BOOST_TEST((client.read_plaintext() == down));
  BOOST_TEST(client.counters().plaintext_in == down.size());

  server.shutdown();
  pump(client, server);
  BOOST_TEST(client.state() == TlsLegState::closed);
}

BOOST_AUTO_TEST_CASE(rsa_key_exchange_and_cbc_suites_still_work) {
  // Old servers: the box must reach them to judge them (the reason for the CBC fallbacks).
  for (auto [name, id] : {std::pair{"AES128-SHA", 0x002f}, std::pair{"AES256-SHA", 0x0035},
                          std::pair{"ECDHE-RSA-AES256-SHA", 0xc014}}) {
    BOOST_TEST_CONTEXT(name) {
      OriginClient client = origin_client();
      OpenSslTestPeer server = origin_server(rsa_chain(), name, TLS1_2_VERSION);
      pump(client, server);
      BOOST_TEST_REQUIRE(client.state() == TlsLegState::established);
      BOOST_TEST(client.negotiated_suite() == id);
      BOOST_TEST(client.write_plaintext(as_bytes("ping")).ok());
      pump(client, server);
      BOOST_TEST(std::string(as_chars(server.read_plaintext())) == "ping");
    }
  }
}

BOOST_AUTO_TEST_CASE(the_chain_is_known_before_the_handshake_completes) {
  // A check connection stops at the server's Certificate: TLS 1.2 sends it in the first
  // flight, so one round trip is enough.
  OriginClient client = origin_client();
  OpenSslTestPeer server = origin_server(ec_chain());
  BOOST_TEST(!client.has_server_chain());
  server.feed(client.take_output());
  client.feed(server.take_output());
  BOOST_TEST(client.state() == TlsLegState::handshaking);
  BOOST_TEST_REQUIRE(client.has_server_chain());
  BOOST_TEST((client.server_chain_der() ==
              der_list({ec_chain().leaf.cert.get(), ec_chain().intermediate.cert.get()})));
}

BOOST_AUTO_TEST_CASE(every_chunk_size_from_1_to_80) {
  Bytes up = pattern(2000, 7);
  Bytes down = pattern(2100, 8);
  for (std::size_t chunk = 1; chunk <= 80; ++chunk) {
    BOOST_TEST_CONTEXT("chunk " << chunk) {
      OriginClient client = origin_client();
      OpenSslTestPeer server = origin_server(ec_chain());
      pump(client, server, chunk);
      BOOST_TEST_REQUIRE(client.state() == TlsLegState::established);
      BOOST_TEST(client.server_chain_der().size() == 2u);
      BOOST_TEST(client.write_plaintext(up).ok());
      server.write(down);
      pump(client, server, chunk);
      BOOST_TEST((server.read_plaintext() == up));
      BOOST_TEST((client.read_plaintext() == down));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_server_with_no_common_suite_fails_with_its_alert) {
  OriginClient client = origin_client();
  OpenSslTestPeer server = origin_server(ec_chain(), "ECDHE-ECDSA-CHACHA20-POLY1305", TLS1_2_VERSION);
  pump(client, server);
  BOOST_TEST_REQUIRE(client.state() == TlsLegState::failed);
  BOOST_TEST(tls_failure_kind_name(client.failure()->kind) == "peer_alert");
  BOOST_TEST(client.failure()->alert_name == "handshake_failure");
  BOOST_TEST(!client.has_server_chain());
}

BOOST_AUTO_TEST_CASE(a_tls13_only_server_refuses_the_2019_profile) {
  OriginClient client = origin_client();
  OpenSslTestPeer server = origin_server(ec_chain());
  SSL_set_min_proto_version(server.ssl(), TLS1_3_VERSION);
  pump(client, server);
  BOOST_TEST_REQUIRE(client.state() == TlsLegState::failed);
  BOOST_TEST(client.failure()->alert_name == "protocol_version");
}

BOOST_AUTO_TEST_CASE(profiles_by_name) {
  BOOST_TEST(origin_hello_profile("kz-2019").ok());
  BOOST_TEST(origin_hello_profile("kz-2019")->cipher_list == OriginHelloProfile{}.cipher_list);
  auto unknown = origin_hello_profile("kz-2020");
  BOOST_TEST(!unknown.ok());
  BOOST_TEST(unknown.message().find("kz-2019") != std::string::npos);
  OriginHelloProfile broken;
  broken.cipher_list = "NO-SUCH-SUITE";
  BOOST_TEST(!OriginClient::create(broken, "x").ok());
  BOOST_TEST(!OriginClient::create(OriginHelloProfile{}, std::string_view("a\0b", 3)).ok());
}
