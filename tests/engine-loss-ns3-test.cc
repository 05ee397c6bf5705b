// The engine under 2% loss on both sides of the bump (each of the four devices of the bumped
// link drops 2% of what it receives) and reordering (2% of the packets entering the engine
// arrive 5 ms late): hijacked and passed-through flows still deliver every byte.
#define BOOST_TEST_MODULE engine_loss_ns3
#include <boost/test/unit_test.hpp>

#include <random>

#include <ns3/double.h>
#include <ns3/error-model.h>
#include <ns3/pointer.h>

#include "tests/support/hijack-world.h"

using namespace mitmlab;
using namespace mitmlab::test::hijack;

namespace {

// 2% packet loss on every device of the bumped link, seeded per run.
void add_loss(World& w, std::int64_t stream) {
  const BumpLink& link = w.tls->topo.bump;
  std::vector<ns3::Ptr<ns3::NetDevice>> devices = {link.routerDevices.Get(0), link.routerDevices.Get(1),
                                                   link.bump->GetDevice(LinkSide::kA),
                                                   link.bump->GetDevice(LinkSide::kB)};
  for (auto& d : devices) {
    auto em = ns3::CreateObject<ns3::RateErrorModel>();
    em->SetAttribute("ErrorRate", ns3::DoubleValue(0.02));
    em->SetAttribute("ErrorUnit", ns3::StringValue("ERROR_UNIT_PACKET"));
    em->AssignStreams(stream++);
    d->SetAttribute("ReceiveErrorModel", ns3::PointerValue(em));
  }
}

struct LossyWorld {
  std::shared_ptr<test::RecordingProcessor> inner = std::make_shared<test::RecordingProcessor>();
  std::shared_ptr<test::DelayingProcessor> reorder;
  std::unique_ptr<World> world;
};

LossyWorld make_lossy_world(unsigned seed) {
  LossyWorld l;
  auto rng = std::make_shared<std::mt19937>(seed);
  l.reorder = std::make_shared<test::DelayingProcessor>(
      l.inner, [rng](LinkSide, ByteView) { return (*rng)() % 50 == 0; }, std::chrono::milliseconds(5));
  l.world = make_world({}, Judge::kWorldCa, std::nullopt, l.reorder);
  l.inner->set_inner(l.world->engine);
  add_loss(*l.world, 100 + 10 * seed);
  return l;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(hijacked_transfer_survives_loss_and_reordering, SimulatorGuard) {
  for (unsigned seed = 1; seed <= 3; ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      LossyWorld l = make_lossy_world(seed);
      auto client = add_client(*l.world, "target.test", "/bytes/150000", ns3::Seconds(1));
      run(ns3::Seconds(90));
      const TlsClientResult& r = client->GetResult();
      BOOST_TEST(r.verifyResult == X509_V_OK);
      check_forged(r.peerChain, l.world->tls->targetChain->leaf.get());
      BOOST_TEST(r.responseComplete);
      BOOST_TEST((r.responseBody == HttpBody(150000)));
      BOOST_TEST(l.world->engine->counters().flows_hijacked == 1u);
      BOOST_TEST(l.reorder->delayed > 0u);
      BOOST_TEST(l.world->engine->counters().retransmissions > 0u);
      BOOST_TEST(l.world->engine->flow_count() == 0u);
      ns3::Simulator::Destroy();
    }
  }
}

BOOST_FIXTURE_TEST_CASE(passed_through_transfer_survives_loss_and_reordering, SimulatorGuard) {
  for (unsigned seed = 4; seed <= 5; ++seed) {
    BOOST_TEST_CONTEXT("seed " << seed) {
      LossyWorld l = make_lossy_world(seed);
      auto client = add_client(*l.world, "default.test", "/bytes/150000", ns3::Seconds(1));
      run(ns3::Seconds(90));
      const TlsClientResult& r = client->GetResult();
      BOOST_TEST(r.responseComplete);
      BOOST_TEST((r.responseBody == HttpBody(150000)));
      BOOST_TEST(l.world->engine->counters().flows_hijacked == 0u);
      BOOST_TEST(l.world->engine->counters().passthrough(PassReason::kNotTarget) == 1u);
      ns3::Simulator::Destroy();
    }
  }
}
