// read_server_hello_and_certificate: the ServerHello and Certificate messages of a plain
// TLS 1.2 flight, however the records cut them; waiting while they are incomplete; and
// everything else (other records, other messages, overlong lengths, bad headers) left to
// OpenSSL.
#define BOOST_TEST_MODULE plain_server_flight
#include "scanner/plain-server-flight.h"

#include <boost/test/unit_test.hpp>

#include "net/tls-record.h"

using namespace mitmlab;

namespace {

Bytes message(std::uint8_t type, std::size_t length, std::uint8_t fill) {
  Bytes m = {type, static_cast<std::uint8_t>(length >> 16), static_cast<std::uint8_t>(length >> 8),
             static_cast<std::uint8_t>(length)};
  m.insert(m.end(), length, fill);
  return m;
}

Bytes join(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Bytes kHello = message(2, 70, 0xaa);
const Bytes kCertificate = message(11, 1500, 0xbb);
const Bytes kKeyExchange = message(12, 100, 0xcc);

}  // namespace

BOOST_AUTO_TEST_CASE(both_messages_in_any_cut_of_records) {
  const Bytes handshake = join({kHello, kCertificate, kKeyExchange});
  const Bytes after = write_record(ContentType::change_cipher_spec, 0x0303, Bytes{1});
  for (std::size_t fragment : {std::size_t{1}, std::size_t{3}, std::size_t{70}, std::size_t{74}, std::size_t{1000},
                               handshake.size()}) {
    BOOST_TEST_CONTEXT("fragment " << fragment) {
      const Bytes records = write_records(ContentType::handshake, 0x0303, handshake, fragment);
      const Bytes received = join({records, after});
      PlainFlightRead read = read_server_hello_and_certificate(received);
      auto* got = std::get_if<ServerHelloAndCertificate>(&read);
      BOOST_TEST_REQUIRE(got);
      BOOST_TEST(got->record_version == 0x0303);
      BOOST_TEST((got->server_hello == kHello));
      BOOST_TEST((got->certificate == kCertificate));
      // What the records read held after the Certificate, and where they ended.
      BOOST_TEST(got->rest.size() < kKeyExchange.size() + fragment);
      BOOST_TEST(std::equal(got->rest.begin(), got->rest.end(), kKeyExchange.begin()));
      // `consumed` ends a record: a whole record starts there.
      BOOST_TEST(got->consumed <= records.size());
      BOOST_TEST(got->consumed >= kHello.size() + kCertificate.size());
      auto next = next_record(ByteView(received).subspan(got->consumed), RecordProtection::plaintext);
      BOOST_TEST((next.ok() && next->has_value()));
    }
  }
}

BOOST_AUTO_TEST_CASE(incomplete_until_the_certificate_is_all_there) {
  const Bytes records = write_records(ContentType::handshake, 0x0303, join({kHello, kCertificate}), 500);
  for (std::size_t n = 0; n < records.size(); ++n)
    BOOST_TEST_REQUIRE(std::holds_alternative<FlightIncomplete>(
                           read_server_hello_and_certificate(ByteView(records).first(n))),
                       "after " << n << " bytes");
  BOOST_TEST(std::holds_alternative<ServerHelloAndCertificate>(read_server_hello_and_certificate(records)));
}

BOOST_AUTO_TEST_CASE(anything_else_is_left_to_openssl) {
  auto not_plain = [](const Bytes& received) {
    return std::holds_alternative<FlightNotPlain>(read_server_hello_and_certificate(received));
  };
  // An alert first; an alert between the two messages.
  BOOST_TEST(not_plain(write_record(ContentType::alert, 0x0303, Bytes{2, 40})));
  BOOST_TEST(not_plain(join({write_record(ContentType::handshake, 0x0303, kHello),
                             write_record(ContentType::alert, 0x0303, Bytes{1, 0}),
                             write_record(ContentType::handshake, 0x0303, kCertificate)})));
  // Another message first, or after the ServerHello (a resumption's Finished, anonymous DH).
  BOOST_TEST(not_plain(write_record(ContentType::handshake, 0x0303, join({kCertificate, kHello}))));
  BOOST_TEST(not_plain(write_record(ContentType::handshake, 0x0303, join({kHello, kKeyExchange}))));
  // A length beyond what the probe reads itself, known from the header alone.
  BOOST_TEST(not_plain(write_record(ContentType::handshake, 0x0303,
                                    join({kHello, Bytes{11, 0x01, 0x00, 0x01}}))));
  // A record header no TLS record has.
  BOOST_TEST(not_plain(Bytes{22, 0x09, 0x03, 0x00, 0x04, 2, 0, 0, 0}));
}
