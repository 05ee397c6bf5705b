#define BOOST_TEST_MODULE reader
#include <boost/test/unit_test.hpp>

#include <array>

#include "net/reader.h"
#include "net/writer.h"

using namespace mitmlab;

BOOST_AUTO_TEST_CASE(reads_big_endian_integers) {
  std::array<std::uint8_t, 10> data{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  Reader r(data);
  BOOST_TEST(*r.u8() == 1);
  BOOST_TEST(*r.u16() == 0x0203);
  BOOST_TEST(*r.u24() == 0x040506u);
  BOOST_TEST(*r.u32() == 0x0708090au);
  BOOST_TEST(r.expect_empty());
  BOOST_TEST(!r.u8().has_value());
}

BOOST_AUTO_TEST_CASE(never_reads_past_the_end) {
  std::array<std::uint8_t, 3> data{0, 5, 1};
  Reader r(data);
  BOOST_TEST(!r.sub_u16().has_value());  // declares 5 bytes, only 1 left
  BOOST_TEST(r.offset() == 0u);          // a failed read does not move the cursor
  BOOST_TEST(!r.u32().has_value());
  BOOST_TEST(!r.take(4).has_value());
  BOOST_TEST(r.remaining() == 3u);
}

BOOST_AUTO_TEST_CASE(sub_reader_is_bounded_by_its_length) {
  std::array<std::uint8_t, 5> data{0, 2, 0xaa, 0xbb, 0xcc};
  Reader r(data);
  auto sub = r.sub_u16();
  BOOST_REQUIRE(sub.has_value());
  BOOST_TEST(sub->remaining() == 2u);
  BOOST_TEST(*sub->u16() == 0xaabb);
  BOOST_TEST(!sub->u8().has_value());
  BOOST_TEST(*r.u8() == 0xcc);
}

BOOST_AUTO_TEST_CASE(writer_round_trips_length_prefixed_blocks) {
  Writer w;
  w.with_length(2, [&] {
    w.u8(7);
    w.with_length(1, [&] { w.u32(0xdeadbeef); });
  });
  Bytes out = w.take();
  BOOST_TEST(out.size() == 8u);
  Reader r(out);
  auto outer = r.sub_u16();
  BOOST_REQUIRE(outer.has_value());
  BOOST_TEST(*outer->u8() == 7);
  auto inner = outer->sub_u8();
  BOOST_REQUIRE(inner.has_value());
  BOOST_TEST(*inner->u32() == 0xdeadbeefu);
  BOOST_TEST(inner->expect_empty());
  BOOST_TEST(outer->expect_empty());
}

BOOST_AUTO_TEST_CASE(writer_rejects_a_block_longer_than_its_prefix) {
  Writer w;
  BOOST_CHECK_THROW(w.with_length(1, [&] { w.zeros(256); }), std::length_error);
}
