#define BOOST_TEST_MODULE client_hello
#include <boost/test/unit_test.hpp>

#include <random>

#include "net/client-hello.h"
#include "net/tls-record.h"
#include "net/writer.h"
#include "tests/support/openssl-client-hello.h"
#include "tests/support/tls-fixtures.h"

using namespace mitmlab;
using mitmlab::test::ClientHelloOptions;

namespace {

ClientHello parse_records(ByteView records) {
  Bytes message = test::handshake_payload(records);
  auto hello = parse_client_hello(message);
  BOOST_REQUIRE_MESSAGE(hello.ok(), (hello.ok() ? std::string() : hello.message()));
  // Re-encoding gives back the exact bytes: nothing was dropped or reordered.
  BOOST_TEST(encode_client_hello(*hello) == message);
  return *hello;
}

// A ClientHello with a server_name list of `names` (host_name type) and nothing else.
Bytes hello_with_names(const std::vector<std::string>& names) {
  Writer w;
  w.u8(1);
  w.with_length(3, [&] {
    w.u16(0x0303);
    w.zeros(32);
    w.with_length(1, [] {});
    w.with_length(2, [&] { w.u16(0x1301); });
    w.with_length(1, [&] { w.u8(0); });
    w.with_length(2, [&] {
      w.u16(ext::server_name);
      w.with_length(2, [&] {
        w.with_length(2, [&] {
          for (const std::string& n : names) {
            w.u8(0);
            w.with_length(2, [&] { w.bytes(as_bytes(n)); });
          }
        });
      });
    });
  });
  return w.take();
}

// Handshake header + legacy_version, random, empty session id, one suite, null
// compression: the 45-byte prefix every hand-built hello below shares.
Bytes prefix_then_extensions(ByteView extensions_block) {
  Writer body;
  body.u16(0x0303);
  body.zeros(32);
  body.u8(0);
  body.u16(2);
  body.u16(0x1301);
  body.u8(1);
  body.u8(0);
  body.bytes(extensions_block);
  Writer w;
  w.u8(1);
  w.u24(static_cast<std::uint32_t>(body.size()));
  w.bytes(body.data());
  return w.take();
}

}  // namespace

BOOST_AUTO_TEST_CASE(grease_helper_matches_rfc_8701) {
  int count = 0;
  for (unsigned v = 0; v <= 0xffff; ++v) count += is_grease(static_cast<std::uint16_t>(v));
  BOOST_TEST(count == 16);
  BOOST_TEST(is_grease(0x0a0a));
  BOOST_TEST(is_grease(0xfafa));
  BOOST_TEST(!is_grease(0x0a1a));
  BOOST_TEST(!is_grease(0x0b0b));
  BOOST_TEST(extension_name(0x3a3a) == "grease");
  BOOST_TEST(extension_name(0x0000) == "server_name");
  BOOST_TEST(extension_name(0x7777) == "unknown");
}

BOOST_AUTO_TEST_CASE(openssl_tls13_hello_with_sni_and_alpn) {
  ClientHelloOptions o;
  o.sni = "www.facebook.com";
  o.alpn = {"h2", "http/1.1"};
  ClientHello h = parse_records(test::openssl_client_hello(o));
  BOOST_TEST(h.legacy_version == kTls12);  // RFC 8446 freezes it at 1.2
  BOOST_TEST(h.negotiable_version() == kTls13);
  BOOST_TEST(h.session_id.size() == 32u);  // middlebox compatibility mode
  BOOST_REQUIRE(h.sni().has_value());
  BOOST_TEST(*h.sni() == "www.facebook.com");
  BOOST_TEST(h.server_names.size() == 1u);
  BOOST_TEST(h.alpn_protocols == (std::vector<std::string>{"h2", "http/1.1"}),
             boost::test_tools::per_element());
  BOOST_TEST(h.supported_versions.front() == kTls13);
  BOOST_TEST(!h.supported_groups.empty());
  BOOST_TEST(!h.signature_algorithms.empty());
  BOOST_TEST(h.has_extension(0x0033));  // key_share, kept raw
  BOOST_TEST(h.extensions.front().type == ext::server_name);  // wire order kept
  BOOST_TEST(h.compression_methods == Bytes{0});
}

BOOST_AUTO_TEST_CASE(openssl_tls12_hello_without_sni) {
  ClientHelloOptions o;
  o.tls13 = false;
  o.cipher_list = "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA";
  ClientHello h = parse_records(test::openssl_client_hello(o));
  BOOST_TEST(!h.sni().has_value());
  BOOST_TEST(!h.has_extension(ext::server_name));
  BOOST_TEST(!h.has_extension(ext::supported_versions));
  BOOST_TEST(h.negotiable_version() == kTls12);
  BOOST_TEST(h.alpn_protocols.empty());
  // The two suites asked for, then the renegotiation SCSV OpenSSL appends.
  BOOST_TEST(h.cipher_suites == (std::vector<std::uint16_t>{0xc02f, 0x002f, 0x00ff}),
             boost::test_tools::per_element());
  BOOST_TEST(h.ec_point_formats.size() >= 1u);
}

BOOST_AUTO_TEST_CASE(keeps_every_entry_of_a_long_server_name_list) {
  std::vector<std::string> names;
  for (int i = 0; i < 37; ++i) names.push_back("target" + std::to_string(i) + ".kz");
  auto h = parse_client_hello(hello_with_names(names));
  BOOST_REQUIRE_MESSAGE(h.ok(), (h.ok() ? std::string() : h.message()));
  BOOST_REQUIRE(h->server_names.size() == 37u);
  for (std::size_t i = 0; i < names.size(); ++i) BOOST_TEST(h->server_names[i].name == names[i]);
  BOOST_TEST(*h->sni() == "target0.kz");
}

BOOST_AUTO_TEST_CASE(grease_fixture_decodes_and_negotiable_version_skips_grease) {
  ClientHello h = parse_records(test::tls_fixture("grease-chrome-like.bin"));
  BOOST_TEST(h.cipher_suites.front() == 0x2a2a);  // GREASE is kept in the parsed fields
  BOOST_TEST(h.supported_versions == (std::vector<std::uint16_t>{0x6a6a, kTls13, kTls12}),
             boost::test_tools::per_element());
  BOOST_TEST(h.negotiable_version() == kTls13);
  BOOST_TEST(h.extensions.front().type == 0x0a0a);
  BOOST_TEST(h.extensions.back().type == 0x1a1a);
  BOOST_TEST(*h.sni() == "www.google.com");
}

BOOST_AUTO_TEST_CASE(extension_longer_than_its_block_gives_the_precise_error) {
  // server_name claims 40 bytes, 12 follow.
  Writer ext;
  ext.with_length(2, [&] {
    ext.u16(ext::server_name);
    ext.u16(40);
    ext.zeros(12);
  });
  auto h = parse_client_hello(prefix_then_extensions(ext.data()));
  BOOST_REQUIRE(!h.ok());
  BOOST_TEST(h.code() == TlsErrc::truncated);
  BOOST_TEST(h.message() == "ClientHello: extension 0x0000 (server_name) length 40 exceeds 12 remaining bytes");
}

BOOST_AUTO_TEST_CASE(malformed_fields_give_precise_errors) {
  auto check = [](ByteView extensions_block, TlsErrc code, std::string_view message) {
    auto h = parse_client_hello(prefix_then_extensions(extensions_block));
    BOOST_REQUIRE(!h.ok());
    BOOST_TEST(h.code() == code);
    BOOST_TEST(h.message() == message);
  };
  // supported_versions whose list claims more than its body, then an odd list length.
  check(Bytes{0, 7, 0, 0x2b, 0, 3, 3, 3, 4}, TlsErrc::truncated,
        "ClientHello: extension 0x002b (supported_versions) length 3 exceeds 2 remaining bytes");
  check(Bytes{0, 8, 0, 0x2b, 0, 4, 3, 3, 4, 3}, TlsErrc::bad_field,
        "ClientHello: extension 0x002b (supported_versions) length 3 is odd");
  // ALPN with an empty protocol name.
  check(Bytes{0, 7, 0, 0x10, 0, 3, 0, 1, 0}, TlsErrc::bad_extension,
        "ClientHello: extension 0x0010 (application_layer_protocol_negotiation) has an empty protocol");
  // The same extension twice.
  check(Bytes{0, 8, 0, 0x17, 0, 0, 0, 0x17, 0, 0}, TlsErrc::duplicate_extension,
        "ClientHello: extension 0x0017 (extended_master_secret) appears twice");
  // Bytes after the extensions block.
  check(Bytes{0, 4, 0, 0x17, 0, 0, 0xee}, TlsErrc::trailing_bytes,
        "ClientHello: body has 1 trailing bytes");
  // An unknown extension is kept raw, not decoded.
  auto ok = parse_client_hello(prefix_then_extensions(Bytes{0, 6, 0x77, 0x77, 0, 2, 0xaa, 0xbb}));
  BOOST_REQUIRE(ok.ok());
  BOOST_TEST(ok->find_extension(0x7777)->body == (Bytes{0xaa, 0xbb}), boost::test_tools::per_element());

  auto server_hello = parse_client_hello(Bytes{2, 0, 0, 0});
  BOOST_TEST(server_hello.code() == TlsErrc::bad_handshake_type);
  BOOST_TEST(server_hello.message() == "handshake message type 2 is not a ClientHello (1)");
}

BOOST_AUTO_TEST_CASE(every_truncation_is_an_error_except_at_the_end_of_compression) {
  Bytes message = test::handshake_payload(test::tls_fixture("openssl-tls13-sni-alpn.bin"));
  const std::size_t session_len = message[4 + 34];
  const std::size_t suites_len = (message[4 + 35 + session_len] << 8) | message[4 + 36 + session_len];
  // Without extensions a hello ends after compression_methods (1-byte length + 1 method).
  const std::size_t no_extensions_end = 4 + 35 + session_len + 2 + suites_len + 2;
  for (std::size_t n = 0; n < message.size(); ++n) {
    // Raw prefix: the outer length no longer matches.
    auto raw = parse_client_hello(ByteView(message).first(n));
    BOOST_TEST(!raw.ok());
    // Prefix with the handshake length patched to match: the body itself is cut.
    if (n < kHandshakeHeaderSize) continue;
    Bytes cut(message.begin(), message.begin() + static_cast<std::ptrdiff_t>(n));
    std::size_t body = n - kHandshakeHeaderSize;
    cut[1] = static_cast<std::uint8_t>(body >> 16);
    cut[2] = static_cast<std::uint8_t>(body >> 8);
    cut[3] = static_cast<std::uint8_t>(body);
    auto h = parse_client_hello(cut);
    if (n == no_extensions_end) {
      BOOST_TEST(h.ok());
      BOOST_TEST(!h->has_extensions_block);
    } else {
      BOOST_TEST_REQUIRE(!h.ok(), "cut at " << n);
      BOOST_TEST(!h.message().empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(seeded_mutations_never_crash_and_round_trip_when_accepted) {
  std::vector<Bytes> seeds;
  for (const char* f : {"openssl-tls13-sni-alpn.bin", "openssl-tls12-nosni.bin", "grease-chrome-like.bin"})
    seeds.push_back(test::handshake_payload(test::tls_fixture(f)));
  std::mt19937 rng(20190717);  // the day interception was first seen
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 6000; ++i) {
    Bytes m = seeds[static_cast<std::size_t>(i) % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      std::size_t at = rng() % m.size();
      switch (rng() % 4) {
        case 0: m[at] = static_cast<std::uint8_t>(rng()); break;
        case 1: m[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8)); break;
        case 2: m.erase(m.begin() + static_cast<std::ptrdiff_t>(at)); break;
        default: m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(rng())); break;
      }
      if (m.empty()) m.push_back(1);
    }
    auto h = parse_client_hello(m);
    if (h.ok()) {
      ++accepted;
      BOOST_TEST(encode_client_hello(*h) == m);
    } else {
      ++rejected;
      BOOST_TEST(!h.message().empty());
    }
  }
  // Both branches ran: the loop exercised acceptance and rejection paths.
  BOOST_TEST(accepted > 0);
  BOOST_TEST(rejected > 0);
}
