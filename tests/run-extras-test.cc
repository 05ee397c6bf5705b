// The lines only a shard's world can render (sim/run-extras.h): their final order, the
// merge of several shards, and their hand-over encoding, which refuses bad bytes.
#define BOOST_TEST_MODULE run_extras
#include <boost/test/unit_test.hpp>

#include <random>

#include "sim/run-extras.h"

using namespace mitmlab;

namespace {

RunExtras shard(std::size_t index) {
  RunExtras e;
  if (index == 0) e.server_lines = {"s0", "s1", "s2"};
  const std::string tag = "#" + std::to_string(index);
  e.path_lines = {{"vps", static_cast<std::uint32_t>(30 - index), "path-b" + tag},
                  {"atlas", static_cast<std::uint32_t>(10 + index), "path-a" + tag}};
  e.decision_lines = {{1, 5, "d1@5" + tag}, {0, 7, "d0@7" + tag}, {0, 2, "d0@2" + tag}};
  e.event_lines = {{1, 3, "e1@3" + tag}, {0, 3, "e0@3" + tag}, {0, 1, "e0@1" + tag}};
  return e;
}

template <typename L>
std::vector<std::string> lines(const std::vector<L>& list) {
  std::vector<std::string> out;
  for (const L& l : list) out.push_back(l.line);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(one_shard_is_put_in_the_order_of_the_files) {
  RunExtras e = shard(0);
  e.put_in_order();
  BOOST_TEST(lines(e.path_lines) == (std::vector<std::string>{"path-a#0", "path-b#0"}));  // by vantage
  BOOST_TEST(lines(e.decision_lines) == (std::vector<std::string>{"d0@2#0", "d0@7#0", "d1@5#0"}));
  BOOST_TEST(lines(e.event_lines) == (std::vector<std::string>{"e0@1#0", "e0@3#0", "e1@3#0"}));
}

BOOST_AUTO_TEST_CASE(shards_merge_by_key_then_shard) {
  RunExtras m = merge_run_extras({shard(0), shard(1)});
  BOOST_TEST(m.server_lines == (std::vector<std::string>{"s0", "s1", "s2"}));
  BOOST_TEST(lines(m.path_lines) == (std::vector<std::string>{"path-a#0", "path-a#1", "path-b#1", "path-b#0"}));
  BOOST_TEST(lines(m.decision_lines) ==
             (std::vector<std::string>{"d0@2#0", "d0@2#1", "d0@7#0", "d0@7#1", "d1@5#0", "d1@5#1"}));
  BOOST_TEST(lines(m.event_lines) ==
             (std::vector<std::string>{"e0@1#0", "e0@1#1", "e0@3#0", "e0@3#1", "e1@3#0", "e1@3#1"}));
}

BOOST_AUTO_TEST_CASE(the_encoding_round_trips) {
  const RunExtras e = shard(0);
  auto back = decode_run_extras(encode_run_extras(e));
  BOOST_TEST_REQUIRE(back.ok());
  BOOST_TEST(back->server_lines == e.server_lines);
  BOOST_TEST(lines(back->path_lines) == lines(e.path_lines));
  BOOST_TEST(back->path_lines[1].server == 10u);
  BOOST_TEST(back->decision_lines[2].time_ns == 2);
  BOOST_TEST(back->event_lines[0].bump == 1u);
  BOOST_TEST((encode_run_extras(*back) == encode_run_extras(e)));
}

BOOST_AUTO_TEST_CASE(bad_bytes_are_an_error_never_a_crash) {
  const Bytes good = encode_run_extras(shard(1));
  BOOST_TEST(!decode_run_extras({}).ok());
  for (std::size_t n = 0; n < good.size(); ++n)
    BOOST_TEST(!decode_run_extras(ByteView(good.data(), n)).ok(), "prefix of " << n << " bytes");
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    Bytes noise(rng() % 64);
    for (auto& b : noise) b = static_cast<std::uint8_t>(rng());
    BOOST_TEST(!decode_run_extras(noise).ok());
  }
  auto empty = decode_run_extras(encode_run_extras(RunExtras{}));  // valid, with no lines
  BOOST_TEST(empty.ok());
}
