// The world of the engine's hijack tests: the ns-3 chain with TLS apps (tests/support/
// tls-world.h), the engine in the bump behind a RecordingProcessor, a shared fake authority
// (its RSA-4096 root is made once per test program), a judge trusting the world's CA (or
// another root), and checks of a forged chain. Header-only: it uses Boost.Test's macros.
#pragma once

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <ns3/inet-socket-address.h>
#include <ns3/integer.h>
#include <ns3/simulator.h>
#include <ns3/string.h>
#include <ns3/uinteger.h>

#include "interceptor/engine.h"
#include "interceptor/forge/fake-authority.h"
#include "interceptor/forge/forger.h"
#include "interceptor/tls/origin-certificate-judge.h"
#include "sim/tls-app-helpers.h"
#include "tests/support/engine-ns3-helpers.h"
#include "tests/support/recording-processor.h"
#include "tests/support/throwaway-pki.h"
#include "tests/support/tls-world.h"

namespace mitmlab::test::hijack {

// The JA3 of the kz-2019 profile with an SNI (interceptor/tls/origin-hello-profile.h).
inline constexpr std::string_view kKz2019Ja3 = "42e6d1dc7ab0967aea54759e6b69dcaa";
// 2019-07-20T00:00:00Z: inside the fake intermediate's validity (2018-02-12 .. 2021-02-12).
inline constexpr std::time_t kVerifyAt = 1563580800;

inline std::shared_ptr<const FakeAuthority> authority() {
  static std::shared_ptr<const FakeAuthority> a = [] {
    Result<FakeAuthority> created = FakeAuthority::create(find_profile("qaznet-2019").value(), 1);
    BOOST_TEST_REQUIRE(created.ok());
    return std::make_shared<const FakeAuthority>(std::move(created.value()));
  }();
  return a;
}

inline X509StorePtr store_of(const X509* root) {
  X509StorePtr s(X509_STORE_new());
  X509_STORE_add_cert(s.get(), const_cast<X509*>(root));
  return s;
}

enum class Judge { kWorldCa, kOtherRoot };

struct World {
  std::shared_ptr<RecordingProcessor> recorder = std::make_shared<test::RecordingProcessor>();
  std::shared_ptr<Engine> engine;
  std::unique_ptr<test::TlsWorld> tls;
  std::vector<test::ServerHello> hellos;
  X509StorePtr fake_trust = store_of(&authority()->root());
};

// The world with its own client kept out (it starts after the run ends); the engine trusts
// the world's CA (or another root), forges with the shared fake authority.
inline std::unique_ptr<World> make_world(EngineConfig cfg = {}, Judge judge = Judge::kWorldCa,
                                  std::optional<std::time_t> calendar_origin = std::nullopt,
                                  std::shared_ptr<PacketProcessor> outer = nullptr) {
  auto w = std::make_unique<World>();
  test::TlsWorldOptions o;
  o.clientStart = ns3::Seconds(1000);
  w->tls = test::BuildTlsWorld(outer ? outer : w->recorder, o);
  cfg.targets = {"target.test"};
  EngineDependencies deps;
  deps.forger = std::make_shared<Forger>(authority());
  test::ThrowawayCertSpec other_spec;
  other_spec.common_name = "Other Root";
  other_spec.is_ca = true;
  test::ThrowawayCert other = test::make_self_signed(other_spec);
  Result<OriginCertificateJudge> j = judge == Judge::kWorldCa
                                         ? OriginCertificateJudge::from_roots({w->tls->ca.cert.get()})
                                         : OriginCertificateJudge::from_roots({other.cert.get()});
  BOOST_TEST_REQUIRE(j.ok());
  deps.judge = std::make_shared<const OriginCertificateJudge>(std::move(j.value()));
  deps.calendar_origin = calendar_origin;
  w->engine = std::make_shared<Engine>(cfg, deps);
  w->recorder->set_inner(w->engine);
  test::LogClientHellos(w->tls->server, &w->hellos);
  return w;
}

inline ns3::Ptr<TlsClientApp> add_client(World& w, const std::string& sni, const std::string& path, ns3::Time start,
                                  std::uint32_t hello_ttl = 0) {
  TlsClientHelper helper(ns3::InetSocketAddress(w.tls->topo.ServerAddress(), 443), sni, w.fake_trust.get());
  helper.SetAttribute("Path", ns3::StringValue(path));
  helper.SetAttribute("VerifyTime", ns3::IntegerValue(kVerifyAt));
  helper.SetAttribute("ClientHelloTtl", ns3::UintegerValue(hello_ttl));
  ns3::ApplicationContainer apps = helper.Install(w.tls->topo.Node(test::ChainTopology::kClient));
  apps.Start(start);
  return ns3::DynamicCast<TlsClientApp>(apps.Get(0));
}

inline void run(ns3::Time stop = ns3::Seconds(30)) {
  ns3::Simulator::Stop(stop);
  ns3::Simulator::Run();
}

inline std::vector<const EngineEvent*> events_of(const Engine& e, EventKind kind) {
  std::vector<const EngineEvent*> out;
  for (const EngineEvent& ev : e.events().events())
    if (ev.kind == kind) out.push_back(&ev);
  return out;
}

inline bool same_subject(const Bytes& a_der, const X509* b) {
  Result<X509Ptr> a = x509_from_der(a_der);
  return a.ok() && X509_NAME_cmp(X509_get_subject_name(a->get()), X509_get_subject_name(b)) == 0;
}

// The client got the forged chain: leaf with the origin's subject, then the fake
// intermediate, valid under the fake root.
inline void check_forged(const std::vector<Bytes>& chain, const X509* origin_leaf) {
  BOOST_TEST_REQUIRE(chain.size() == 2u);
  BOOST_TEST(same_subject(chain[0], origin_leaf));
  BOOST_TEST((chain[0] != x509_to_der(origin_leaf)));
  BOOST_TEST((chain[1] == x509_to_der(&authority()->intermediate())));
  Result<OriginCertificateJudge> fake = OriginCertificateJudge::from_roots({&authority()->root()});
  BOOST_TEST_REQUIRE(fake.ok());
  BOOST_TEST(fake->judge(chain, kVerifyAt).trusted);
}

// Destroys the simulator after each test, also when a test stops at a failed requirement.
struct SimulatorGuard {
  ~SimulatorGuard() { ns3::Simulator::Destroy(); }
};


}  // namespace mitmlab::test::hijack
