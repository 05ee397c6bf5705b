#define BOOST_TEST_MODULE client_hello_reassembler
#include <boost/test/unit_test.hpp>

#include <random>

#include "net/client-hello-reassembler.h"
#include "net/tls-record.h"
#include "net/writer.h"
#include "tests/support/openssl-client-hello.h"
#include "tests/support/tls-fixtures.h"

using namespace mitmlab;
using Reassembler = ClientHelloReassembler;

namespace {

// Feeds `stream` cut at the given offsets; returns the outcome after the last piece, and
// checks that every outcome before it was NeedMore.
Reassembler::Outcome feed_cut(ByteView stream, const std::vector<std::size_t>& cuts) {
  Reassembler r;
  std::size_t at = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(stream.size());
  Reassembler::Outcome out = Reassembler::NeedMore{};
  for (std::size_t end : ends) {
    BOOST_REQUIRE(std::holds_alternative<Reassembler::NeedMore>(out));
    out = r.feed(stream.subspan(at, end - at));
    at = end;
  }
  return out;
}

// A printable summary of an outcome, equal for equal outcomes.
std::string describe(const Reassembler::Outcome& o) {
  if (std::holds_alternative<Reassembler::NeedMore>(o)) return "need-more";
  if (auto* c = std::get_if<Reassembler::Complete>(&o))
    return "complete " + std::to_string(c->consumed) + " " + to_hex(encode_client_hello(c->hello));
  if (auto* n = std::get_if<Reassembler::NotTls>(&o)) return "not-tls " + n->reason;
  const auto& m = std::get<Reassembler::Malformed>(o);
  return "malformed " + std::string(tls_errc_name(m.error.code)) + " " + m.error.message;
}

// By value: callers pass temporaries.
Reassembler::Complete complete(const Reassembler::Outcome& o) {
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<Reassembler::Complete>(o), describe(o));
  return std::get<Reassembler::Complete>(o);
}

TlsError malformed(const Reassembler::Outcome& o) {
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<Reassembler::Malformed>(o), describe(o));
  return std::get<Reassembler::Malformed>(o).error;
}

// Handshake records carrying the first bytes of a ClientHello that declares `length`.
Bytes hello_header_claiming(std::uint32_t length) {
  Writer w;
  w.u8(1);
  w.u24(length);
  w.zeros(60);
  return write_record(ContentType::handshake, 0x0301, w.data());
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_split_into_two_segments_gives_the_same_hello) {
  for (const char* name : {"openssl-tls13-sni-alpn.bin", "grease-chrome-like.bin"}) {
    Bytes stream = test::tls_fixture(name);
    Bytes message = test::handshake_payload(stream);
    for (std::size_t cut = 0; cut < stream.size(); ++cut) {
      const auto c = complete(feed_cut(stream, {cut}));
      BOOST_TEST(c.consumed == stream.size());
      BOOST_TEST(encode_client_hello(c.hello) == message);
    }
  }
}

BOOST_AUTO_TEST_CASE(one_byte_at_a_time) {
  Bytes stream = test::tls_fixture("openssl-tls12-nosni.bin");
  Reassembler r;
  for (std::size_t i = 0; i + 1 < stream.size(); ++i)
    BOOST_TEST_REQUIRE(std::holds_alternative<Reassembler::NeedMore>(r.feed(ByteView(stream).subspan(i, 1))));
  const auto c = complete(r.feed(ByteView(stream).last(1)));
  BOOST_TEST(c.consumed == stream.size());
  BOOST_TEST(c.hello.cipher_suites.size() == 5u);
}

BOOST_AUTO_TEST_CASE(hello_spread_over_many_records_and_every_split) {
  Bytes original = test::tls_fixture("openssl-tls13-sni-alpn.bin");
  Bytes message = test::handshake_payload(original);
  for (std::size_t fragment : {1u, 2u, 3u, 4u, 5u, 100u}) {
    Bytes stream = test::refragment(original, fragment);
    BOOST_TEST(stream.size() > original.size());  // more record headers
    for (std::size_t cut = 0; cut < stream.size(); cut += (fragment < 5 ? 7 : 1)) {
      const auto c = complete(feed_cut(stream, {cut}));
      BOOST_TEST(c.consumed == stream.size());
      BOOST_TEST(encode_client_hello(c.hello) == message);
    }
  }
}

BOOST_AUTO_TEST_CASE(openssl_hello_above_16_kib_spans_two_records) {
  test::ClientHelloOptions o;
  o.sni = "mail.google.com";
  o.extra_extension_bytes = 20000;
  Bytes stream = test::openssl_client_hello(o);
  auto first = next_record(stream, RecordProtection::plaintext);
  BOOST_REQUIRE(first.ok() && first->has_value());
  BOOST_TEST((*first)->header.length == kMaxPlaintextFragment);  // OpenSSL cut it
  // Segments of a typical MSS.
  std::vector<std::size_t> cuts;
  for (std::size_t at = 1448; at < stream.size(); at += 1448) cuts.push_back(at);
  const auto c = complete(feed_cut(stream, cuts));
  BOOST_TEST(c.consumed == stream.size());
  BOOST_TEST(*c.hello.sni() == "mail.google.com");
  BOOST_REQUIRE(c.hello.has_extension(0xff42));
  BOOST_TEST(c.hello.find_extension(0xff42)->body.size() == 20000u);
}

BOOST_AUTO_TEST_CASE(openssl_small_fragments_make_a_many_record_hello) {
  test::ClientHelloOptions o;
  o.sni = "www.facebook.com";
  o.extra_extension_bytes = 3000;
  o.max_fragment = 512;
  Bytes stream = test::openssl_client_hello(o);
  const auto c = complete(feed_cut(stream, {700, 701, 2000}));
  BOOST_TEST(c.consumed == stream.size());
  BOOST_TEST(c.hello.find_extension(0xff42)->body.size() == 3000u);
  // At least 7 records of <= 512 bytes: 3000 extension bytes alone need 6.
  BOOST_TEST(stream.size() >= test::handshake_payload(stream).size() + 7 * kRecordHeaderSize);
}

BOOST_AUTO_TEST_CASE(every_truncation_needs_more) {
  Bytes stream = test::refragment(test::tls_fixture("grease-chrome-like.bin"), 50);
  for (std::size_t n = 0; n < stream.size(); ++n) {
    Reassembler r;
    auto out = r.feed(ByteView(stream).first(n));
    BOOST_TEST_REQUIRE(std::holds_alternative<Reassembler::NeedMore>(out), "at " << n << ": " << describe(out));
    BOOST_TEST(r.buffered().size() == n);
  }
}

BOOST_AUTO_TEST_CASE(bytes_after_the_hello_are_left_to_the_caller) {
  Bytes stream = test::tls_fixture("openssl-tls12-nosni.bin");
  std::size_t hello_size = stream.size();
  Bytes early = write_record(ContentType::application_data, 0x0303, Bytes(40, 0xee));
  stream.insert(stream.end(), early.begin(), early.end());
  Reassembler r;
  const auto c = complete(r.feed(stream));
  BOOST_TEST(c.consumed == hello_size);
  BOOST_TEST(r.buffered().size() == stream.size());
  // The outcome is final: more bytes do not change it.
  BOOST_TEST(describe(r.feed(Bytes{1, 2, 3})) == describe(Reassembler::Outcome{c}));
}

BOOST_AUTO_TEST_CASE(plain_http_is_not_tls) {
  Reassembler r;
  auto out = r.feed(as_bytes("GET / HTTP/1.1\r\nHost: example.kz\r\n\r\n"));
  BOOST_REQUIRE(std::holds_alternative<Reassembler::NotTls>(out));
  BOOST_TEST(std::get<Reassembler::NotTls>(out).reason == "first byte 0x47 is not a TLS handshake record (0x16)");
  // Decided on the first byte alone.
  Reassembler one;
  BOOST_TEST(std::holds_alternative<Reassembler::NotTls>(one.feed(as_bytes("G"))));
  Reassembler bad_major;
  auto b = bad_major.feed(Bytes{0x16, 0x00});
  BOOST_REQUIRE(std::holds_alternative<Reassembler::NotTls>(b));
  BOOST_TEST(std::get<Reassembler::NotTls>(b).reason == "record version major byte 0x00 is not 3");
}

BOOST_AUTO_TEST_CASE(declared_length_above_the_cap_is_refused_at_once) {
  Reassembler r;
  const auto e = malformed(r.feed(hello_header_claiming(70000)));
  BOOST_TEST(e.code == TlsErrc::too_large);
  // 70004 message bytes in 5 records of at most 2^14.
  BOOST_TEST(e.message == "ClientHello: handshake length 70000 needs at least 70029 stream bytes, above the 65536-byte cap");
}

BOOST_AUTO_TEST_CASE(more_than_64_kib_buffered_is_refused) {
  // A hello of 30000 declared bytes cut into 1-byte records needs 6 bytes per byte.
  Writer w;
  w.u8(1);
  w.u24(30000);
  w.zeros(30000);
  Bytes stream = write_records(ContentType::handshake, 0x0301, w.data(), 1);
  BOOST_REQUIRE(stream.size() > kClientHelloBufferCap);
  Reassembler r;
  Reassembler::Outcome out = Reassembler::NeedMore{};
  std::size_t at = 0;
  while (at < stream.size() && std::holds_alternative<Reassembler::NeedMore>(out)) {
    std::size_t n = std::min<std::size_t>(1448, stream.size() - at);
    out = r.feed(ByteView(stream).subspan(at, n));
    at += n;
  }
  const auto e = malformed(out);
  BOOST_TEST(e.code == TlsErrc::too_large);
  BOOST_TEST(e.message == "ClientHello: 65536 bytes buffered without a complete ClientHello, the cap is 65536");
  BOOST_TEST(r.buffered().size() == kClientHelloBufferCap);  // memory stays bounded
}

BOOST_AUTO_TEST_CASE(broken_record_streams_are_malformed_with_a_position) {
  Bytes stream = test::refragment(test::tls_fixture("openssl-tls12-nosni.bin"), 40);
  Bytes alert = stream;
  alert[45] = 21;  // second record header's type: alert
  const auto a = malformed(Reassembler().feed(alert));
  BOOST_TEST(a.code == TlsErrc::bad_record_type);
  BOOST_TEST(a.message == "TLS record 2 at stream offset 45 has content type 21 (alert) before the ClientHello was complete");

  Bytes too_long = stream;
  too_long[48] = 0x41;  // second record length 0x4128 > 2^14
  const auto l = malformed(Reassembler().feed(too_long));
  BOOST_TEST(l.code == TlsErrc::record_too_long);
  BOOST_TEST(l.message == "TLS record: length 16680 exceeds the plaintext limit of 16384 (record 2 at stream offset 45)");

  Bytes server_hello = stream;
  server_hello[5] = 2;
  const auto s = malformed(Reassembler().feed(ByteView(server_hello).first(6)));
  BOOST_TEST(s.code == TlsErrc::bad_handshake_type);

  Bytes extra = test::handshake_payload(stream);
  extra.push_back(0);  // one more handshake byte in the hello's record
  const auto t = malformed(Reassembler().feed(write_record(ContentType::handshake, 0x0301, extra)));
  BOOST_TEST(t.code == TlsErrc::trailing_bytes);
  BOOST_TEST(t.message == "TLS record 1 carries 1 handshake bytes after the ClientHello");
}

BOOST_AUTO_TEST_CASE(seeded_mutations_never_crash_and_do_not_depend_on_segmentation) {
  std::vector<Bytes> seeds;
  for (const char* f : {"openssl-tls13-sni-alpn.bin", "openssl-tls12-nosni.bin", "grease-chrome-like.bin"}) {
    seeds.push_back(test::tls_fixture(f));
    seeds.push_back(test::refragment(test::tls_fixture(f), 64));
  }
  std::mt19937 rng(37);  // the number of targeted names
  std::map<std::size_t, int> kinds;
  for (int i = 0; i < 3000; ++i) {
    Bytes m = seeds[static_cast<std::size_t>(i) % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      std::size_t at = rng() % m.size();
      if (rng() % 2) m[at] = static_cast<std::uint8_t>(rng());
      else m[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
    }
    if (rng() % 4 == 0) m.resize(rng() % m.size());
    Reassembler whole;
    auto expected = whole.feed(m);
    kinds[expected.index()]++;
    // The same bytes in random small segments reach the same outcome.
    Reassembler pieces;
    Reassembler::Outcome got = Reassembler::NeedMore{};
    for (std::size_t at = 0; at < m.size();) {
      std::size_t n = std::min<std::size_t>(1 + rng() % 40, m.size() - at);
      got = pieces.feed(ByteView(m).subspan(at, n));
      at += n;
    }
    BOOST_TEST_REQUIRE(describe(got) == describe(expected), "input " << i << " " << to_hex(m));
  }
  // The loop reached every kind of outcome.
  BOOST_TEST(kinds.size() == 4u);
}
