#define BOOST_TEST_MODULE tls_fingerprint
#include <boost/test/unit_test.hpp>

#include "net/client-hello.h"
#include "net/tls-fingerprint.h"
#include "tests/support/openssl-client-hello.h"
#include "tests/support/tls-fixtures.h"

using namespace mitmlab;

// Expected values come from tools independent of mitmlab, run on the committed fixtures
// (tests/fixtures/tls/README.md has the full recipe):
//   python3 tests/fixtures/tls/bin-to-pcap.py tests/fixtures/tls/X.bin /tmp/X.pcap
//   tshark -r /tmp/X.pcap -Y 'tls.handshake.type == 1' -T fields -e tls.handshake.ja3_full -e tls.handshake.ja3
//       (TShark 4.0.17, Debian 12)
//   python3 ja4.py /tmp/X.pcap -r     # FoxIO-LLC/ja4 python/ja4.py @ 0e54bc83, over tshark 4.0.17
// TShark 4.0 has no JA4 field of its own; ja4.py reads tshark's dissection and computes
// JA4 with FoxIO's code, so it does not share a line with ours.

namespace {

ClientHello fixture(const char* name) {
  auto h = parse_client_hello(test::handshake_payload(test::tls_fixture(name)));
  BOOST_REQUIRE(h.ok());
  return *h;
}

struct Pinned {
  const char* file;
  const char* ja3_full;
  const char* ja3;
  const char* ja4;
  const char* ja4_r;
};

const Pinned kPinned[] = {
    {"grease-chrome-like.bin",
     "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
     "27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0",
     "c000e2caf3a25423f9de6c8a4b12a975",
     // Also the worked example of FoxIO's JA4.md, whose suites and extensions it copies.
     "t13d1516h2_8daaf6152771_e5627efa2ab1",
     "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_"
     "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_"
     "0403,0804,0401,0503,0805,0501,0806,0601"},
    {"openssl-tls12-nosni.bin", "771,49199-49200-47-53-255,11-10-35-22-23-13,29-23-30-25-24,0-1-2",
     "7696eb7e87f7ca868e7169788bbe2221", "t12i050600_2598f1b0c543_e7e480e5a997",
     "t12i050600_002f,0035,00ff,c02f,c030_000a,000b,000d,0016,0017,0023_"
     "0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,0303,0301,0302,"
     "0402,0502,0602"},
    {"openssl-tls13-sni-alpn.bin",
     "771,4866-4867-4865-49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-49187-"
     "49191-103-49162-49172-57-49161-49171-51-157-156-61-60-53-47-255,0-11-10-35-16-22-23-13-43-"
     "45-51,29-23-30-25-24-256-257-258-259-260,0-1-2",
     "5a1edc7f170af1014fc65c994878e63c", "t13d3111h2_e8f1e7e78f70_1f22a2ca17c4",
     "t13d3111h2_002f,0033,0035,0039,003c,003d,0067,006b,009c,009d,009e,009f,00ff,1301,1302,"
     "1303,c009,c00a,c013,c014,c023,c024,c027,c028,c02b,c02c,c02f,c030,cca8,cca9,ccaa_"
     "000a,000b,000d,0016,0017,0023,002b,002d,0033_"
     "0403,0503,0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,0303,0301,0302,"
     "0402,0502,0602"},
};

// A hello with only the fields a test sets.
ClientHello bare(std::vector<std::string> alpn = {}) {
  ClientHello h;
  h.legacy_version = kTls12;
  h.cipher_suites = {0x1301};
  h.compression_methods = {0};
  h.has_extensions_block = true;
  if (!alpn.empty()) {
    h.extensions.push_back({ext::alpn, {}});
    h.alpn_protocols = std::move(alpn);
  }
  return h;
}

std::string part_a(const ClientHello& h) { return ja4(h).substr(0, 10); }

}  // namespace

BOOST_AUTO_TEST_CASE(ja3_matches_tshark) {
  for (const Pinned& p : kPinned) {
    ClientHello h = fixture(p.file);
    BOOST_TEST(ja3_string(h) == p.ja3_full, p.file);
    BOOST_TEST(ja3_hash(h) == p.ja3, p.file);
  }
}

BOOST_AUTO_TEST_CASE(ja4_matches_foxio_reference) {
  for (const Pinned& p : kPinned) {
    ClientHello h = fixture(p.file);
    BOOST_TEST(ja4(h) == p.ja4, p.file);
    BOOST_TEST(ja4_raw(h) == p.ja4_r, p.file);
  }
}

BOOST_AUTO_TEST_CASE(digests_match_the_spec_examples) {
  BOOST_TEST(md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  // Section b and c examples of JA4.md.
  BOOST_TEST(sha256_hex("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9")
                 .substr(0, 12) == "8daaf6152771");
  BOOST_TEST(sha256_hex("0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_"
                        "0403,0804,0401,0503,0805,0501,0806,0601") ==
             "e5627efa2ab19723084c1033a96c694a45826ab5a460d2d3fd5ffcfe97161c95");
  BOOST_TEST(sha256_hex("0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01")
                 .substr(0, 12) == "6d807ffa2a79");
}

BOOST_AUTO_TEST_CASE(ja4_alpn_characters_follow_the_spec_table) {
  auto alpn_of = [](std::string first) { return part_a(bare({first, "zz"})).substr(8, 2); };
  BOOST_TEST(alpn_of("h2") == "h2");
  BOOST_TEST(alpn_of("http/1.1") == "h1");
  BOOST_TEST(alpn_of("x") == "xx");  // one character is both first and last
  // Non-alphanumeric first or last byte: first and last hex digits instead (JA4.md).
  BOOST_TEST(alpn_of("\xab") == "ab");
  BOOST_TEST(alpn_of("\x20") == "20");
  BOOST_TEST(alpn_of("\xab\xcd") == "ad");
  BOOST_TEST(alpn_of("\x20\x61") == "21");
  BOOST_TEST(alpn_of("\x30\xab") == "3b");
  BOOST_TEST(alpn_of("\x61\x20") == "60");
  BOOST_TEST(alpn_of("\x30\x31\xab\xcd") == "3d");
  BOOST_TEST(alpn_of("\x30\xab\xcd\x31") == "01");
  BOOST_TEST(part_a(bare()).substr(8, 2) == "00");  // no ALPN extension
}

BOOST_AUTO_TEST_CASE(ja4_counts_versions_and_empty_lists) {
  ClientHello h = bare();
  BOOST_TEST(part_a(h) == "t12i010000");
  h.legacy_version = 0x0301;
  BOOST_TEST(part_a(h) == "t10i010000");
  h.legacy_version = 0x9999;
  BOOST_TEST(part_a(h) == "t00i010000");  // unknown version
  h.supported_versions = {0x2a2a, 0x0304, 0x0303};
  BOOST_TEST(part_a(h) == "t13i010000");  // supported_versions wins, GREASE skipped
  BOOST_TEST(ja4(h, Ja4Transport::quic).front() == 'q');

  // More than 99 suites or extensions print 99; GREASE does not count.
  ClientHello many = bare();
  many.cipher_suites.clear();
  for (std::uint16_t s = 1; s <= 120; ++s) many.cipher_suites.push_back(s);
  many.cipher_suites.push_back(0x0a0a);
  for (std::uint16_t t = 0x100; t < 0x100 + 105; ++t) many.extensions.push_back({t, {}});
  BOOST_TEST(part_a(many) == "t12i9999" "00");
  ClientHello grease_only = bare();
  grease_only.cipher_suites = {0x0a0a, 0x1a1a};
  grease_only.extensions = {{0x2a2a, {}}};
  BOOST_TEST(ja4(grease_only) == "t12i000000_000000000000_000000000000");

  // SNI and ALPN count but are not hashed: a hello with only those has an empty c list.
  ClientHello sni_only = bare({"h2"});
  sni_only.extensions.push_back({ext::server_name, {}});
  BOOST_TEST(ja4(sni_only) == "t12d0102h2_" + sha256_hex("1301").substr(0, 12) + "_000000000000");
  // 'd' means the extension is present, whatever it names (JA4.md, FoxIO's ja4.py).
  sni_only.server_names = {{0, "10.0.0.2"}};
  BOOST_TEST(part_a(sni_only)[3] == 'd');
}

BOOST_AUTO_TEST_CASE(ja4_ignores_grease_signature_algorithms_and_order_of_extensions) {
  ClientHello a = fixture("grease-chrome-like.bin");
  ClientHello b = a;
  std::reverse(b.extensions.begin(), b.extensions.end());  // JA4 sorts: same value
  BOOST_TEST(ja4(b) == ja4(a));
  BOOST_TEST(ja3_string(b) != ja3_string(a));  // JA3 keeps wire order
  b.signature_algorithms.insert(b.signature_algorithms.begin() + 2, 0x3a3a);
  BOOST_TEST(ja4(b) == ja4(a));
  std::swap(b.signature_algorithms[0], b.signature_algorithms[1]);  // their order counts
  BOOST_TEST(ja4(b) != ja4(a));
}

BOOST_AUTO_TEST_CASE(openssl_fingerprints_do_not_depend_on_randomness) {
  // Random, session id and key share change per run; the fingerprints must not. (They do
  // depend on the OpenSSL build: these are OpenSSL 3.0.22's defaults, as in the fixture.)
  test::ClientHelloOptions o;
  o.sni = "www.facebook.com";
  o.alpn = {"h2", "http/1.1"};
  auto h = parse_client_hello(test::handshake_payload(test::openssl_client_hello(o)));
  BOOST_REQUIRE(h.ok());
  BOOST_TEST(ja4(*h) == "t13d3111h2_e8f1e7e78f70_1f22a2ca17c4");
  BOOST_TEST(ja3_hash(*h) == "5a1edc7f170af1014fc65c994878e63c");
}
