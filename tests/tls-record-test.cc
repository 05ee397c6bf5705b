#define BOOST_TEST_MODULE tls_record
#include <boost/test/unit_test.hpp>

#include "net/tls-record.h"

using namespace mitmlab;

namespace {
Bytes header(std::uint8_t type, std::uint16_t version, std::uint16_t length) {
  return {type, static_cast<std::uint8_t>(version >> 8), static_cast<std::uint8_t>(version),
          static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
}
}  // namespace

BOOST_AUTO_TEST_CASE(parses_a_handshake_record_header) {
  auto h = parse_record_header(header(22, 0x0301, 512), RecordProtection::plaintext);
  BOOST_REQUIRE(h.ok());
  BOOST_TEST(h->type == 22);
  BOOST_TEST(h->legacy_version == 0x0301);
  BOOST_TEST(h->length == 512);
  BOOST_TEST(h->record_size() == 517u);
}

BOOST_AUTO_TEST_CASE(plaintext_limit_is_2_to_the_14) {
  BOOST_TEST(parse_record_header(header(22, 0x0303, 16384), RecordProtection::plaintext).ok());
  auto over = parse_record_header(header(22, 0x0303, 16385), RecordProtection::plaintext);
  BOOST_REQUIRE(!over.ok());
  BOOST_TEST(over.code() == TlsErrc::record_too_long);
  BOOST_TEST(over.message() == "TLS record: length 16385 exceeds the plaintext limit of 16384");
}

BOOST_AUTO_TEST_CASE(ciphertext_limit_is_2_to_the_14_plus_2048) {
  BOOST_TEST(parse_record_header(header(23, 0x0303, 18432), RecordProtection::ciphertext).ok());
  auto over = parse_record_header(header(23, 0x0303, 18433), RecordProtection::ciphertext);
  BOOST_REQUIRE(!over.ok());
  BOOST_TEST(over.code() == TlsErrc::record_too_long);
}

BOOST_AUTO_TEST_CASE(rejects_unknown_types_bad_versions_and_empty_handshakes) {
  auto type = parse_record_header(header(99, 0x0303, 1), RecordProtection::plaintext);
  BOOST_TEST(type.code() == TlsErrc::bad_record_type);
  BOOST_TEST(type.message() == "TLS record: unknown content type 99");
  auto version = parse_record_header(header(22, 0x0203, 1), RecordProtection::plaintext);
  BOOST_TEST(version.code() == TlsErrc::bad_record_version);
  auto empty = parse_record_header(header(22, 0x0303, 0), RecordProtection::plaintext);
  BOOST_TEST(empty.code() == TlsErrc::empty_record);
  // Empty application data is legal (RFC 8446 §5.1).
  BOOST_TEST(parse_record_header(header(23, 0x0303, 0), RecordProtection::plaintext).ok());
  auto short_header = parse_record_header(Bytes{22, 3, 1, 0}, RecordProtection::plaintext);
  BOOST_TEST(short_header.code() == TlsErrc::truncated);
  BOOST_TEST(short_header.message() == "TLS record: header needs 5 bytes, have 4");
}

BOOST_AUTO_TEST_CASE(next_record_waits_for_the_whole_fragment) {
  Bytes payload{1, 2, 3, 4, 5, 6, 7};
  Bytes wire = write_record(ContentType::handshake, 0x0301, payload);
  BOOST_TEST(wire.size() == 12u);
  for (std::size_t n = 0; n < wire.size(); ++n) {
    auto r = next_record(ByteView(wire).first(n), RecordProtection::plaintext);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(!r->has_value());
  }
  wire.push_back(0x16);  // the start of a next record is not part of this one
  auto r = next_record(wire, RecordProtection::plaintext);
  BOOST_REQUIRE(r.ok() && r->has_value());
  BOOST_TEST((*r)->header.record_size() == 12u);
  BOOST_TEST(Bytes((*r)->fragment.begin(), (*r)->fragment.end()) == payload);
}

BOOST_AUTO_TEST_CASE(write_records_cuts_a_payload_at_the_fragment_size) {
  Bytes payload(10, 0xab);
  Bytes wire = write_records(ContentType::handshake, 0x0301, payload, 4);
  BOOST_TEST(wire.size() == 10u + 3 * kRecordHeaderSize);  // 4 + 4 + 2
  ByteView rest = wire;
  std::vector<std::size_t> sizes;
  while (!rest.empty()) {
    auto r = next_record(rest, RecordProtection::plaintext);
    BOOST_REQUIRE(r.ok() && r->has_value());
    sizes.push_back((*r)->fragment.size());
    rest = rest.subspan((*r)->header.record_size());
  }
  BOOST_TEST(sizes == (std::vector<std::size_t>{4, 4, 2}), boost::test_tools::per_element());
}
