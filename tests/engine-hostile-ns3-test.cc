// Hostile segments aimed at flows the engine is in the middle of (held, checked, hijacked):
// next to the real traffic, mutated copies with valid checksums (random sequence and
// acknowledgement numbers, flags, windows, payload bytes) are fed to the engine. It must not
// crash, must count, and every flow must still leave the table.
#define BOOST_TEST_MODULE engine_hostile_ns3
#include <boost/test/unit_test.hpp>

#include <random>

#include "net/tcp-segment.h"
#include "tests/support/hijack-world.h"

using namespace mitmlab;
using namespace mitmlab::test::hijack;

namespace {

// Before each real packet, with probability 1/3, feeds the engine a mutated copy that is
// never forwarded (whatever the engine says, the copy goes nowhere).
class MutatingProcessor : public PacketProcessor {
 public:
  MutatingProcessor(std::shared_ptr<PacketProcessor> inner, unsigned seed) : inner_(std::move(inner)), rng_(seed) {}

  Disposition on_packet(Timestamp now, LinkSide from, ByteView ipv4) override {
    if (rng_() % 3 == 0) {
      if (std::optional<Bytes> bad = mutate(ipv4)) {
        ++mutated;
        (void)inner_->on_packet(now, from, *bad);
      }
    }
    return inner_->on_packet(now, from, ipv4);
  }
  std::optional<OutboundPacket> poll_transmit() override { return inner_->poll_transmit(); }
  std::optional<Timestamp> next_timeout() const override { return inner_->next_timeout(); }
  void on_timeout(Timestamp now) override { inner_->on_timeout(now); }

  std::uint64_t mutated = 0;

 private:
  std::optional<Bytes> mutate(ByteView ipv4) {
    Result<TcpPacket> p = parse_tcp_packet(ipv4);
    if (!p) return std::nullopt;
    TcpHeader h = p->tcp.header;
    Bytes payload(p->tcp.payload.begin(), p->tcp.payload.end());
    switch (rng_() % 6) {
      case 0: h.seq += static_cast<std::uint32_t>(rng_() % 200000) - 100000; break;
      case 1: h.ack += static_cast<std::uint32_t>(rng_() % 200000) - 100000; break;
      case 2: h.flags = static_cast<std::uint8_t>(rng_()); break;
      case 3: h.window = static_cast<std::uint16_t>(rng_()); break;
      case 4:
        if (!payload.empty()) payload[rng_() % payload.size()] ^= static_cast<std::uint8_t>(1 + rng_() % 255);
        break;
      default:
        payload.resize(rng_() % (payload.size() + 1));
        break;
    }
    // A mutated RST in the window would legitimately end a flow; this test is about junk
    // the engine must survive, so RSTs are left out.
    h.flags &= static_cast<std::uint8_t>(~tcp_flag::kRst);
    return build_tcp_packet(p->ip.header, h, payload);
  }

  std::shared_ptr<PacketProcessor> inner_;
  std::mt19937 rng_;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(mutated_segments_during_hijack_and_passthrough_never_crash, SimulatorGuard) {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      auto holder = std::make_shared<test::RecordingProcessor>();
      auto mutating = std::make_shared<MutatingProcessor>(holder, seed);
      auto w = make_world({}, Judge::kWorldCa, std::nullopt, mutating);
      holder->set_inner(w->engine);
      auto hijacked = add_client(*w, "target.test", "/bytes/50000", ns3::Seconds(1));
      auto passed = add_client(*w, "default.test", "/bytes/50000", ns3::Seconds(1.5));
      run(ns3::Seconds(400));  // past every idle timeout
      BOOST_TEST(mutating->mutated > 10u);
      const EngineCounters& c = w->engine->counters();
      BOOST_TEST(c.flows_seen >= 2u);
      BOOST_TEST(c.flows_hijacked + c.flows_passthrough() >= 2u);
      // Every flow ended one way or another, and the table is empty.
      BOOST_TEST(w->engine->flow_count() == 0u);
      BOOST_TEST(!w->engine->next_timeout().has_value());
      BOOST_TEST_MESSAGE("seed " << seed << ": hijacked done " << hijacked->GetResult().responseComplete
                                 << ", passed done " << passed->GetResult().responseComplete << ", counters "
                                 << to_json(c).dump());
      for (const EngineEvent& ev : w->engine->events().events()) {
        if (ev.kind == EventKind::kFlowClosed) BOOST_TEST_MESSAGE("closed: " << to_json(ev).dump());
      }
      ns3::Simulator::Destroy();
    }
  }
}
