#define BOOST_TEST_MODULE key_log
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdio>
#include <string>

#include "interceptor/tls/client-termination.h"
#include "net/key-log.h"
#include "tests/support/openssl-test-peer.h"
#include "tests/support/throwaway-pki.h"

using namespace mitmlab;
using namespace mitmlab::test;

namespace {

const ThrowawayChain& chain() {
  static const ThrowawayChain c = make_throwaway_chain("facebook.com", "Keylog Test");
  return c;
}

std::string client_random_hex(const OpenSslTestPeer& peer) {
  unsigned char random[SSL3_RANDOM_SIZE];
  SSL_get_client_random(peer.ssl(), random, sizeof random);
  std::string hex;
  char two[3];
  for (unsigned char b : random) {
    std::snprintf(two, sizeof two, "%02x", b);
    hex += two;
  }
  return hex;
}

// One handshake: a test client against the interceptor's client leg (a context that
// attach_key_log() was applied to), at the given TLS version.
std::string handshake(std::uint16_t max_version) {
  TerminationOptions options;
  options.max_version = max_version;
  auto term = ClientTermination::create(
      {chain().leaf.cert.get(), {chain().intermediate.cert.get()}, chain().leaf.key.get()},
      options);
  if (!term) BOOST_FAIL(term.message());
  TestClientOptions o;
  o.trusted_root = chain().root.cert.get();
  o.sni = "facebook.com";
  o.max_version = TLS1_3_VERSION;
  o.verify_time = utc_time(2019, 7, 20);
  OpenSslTestPeer client = OpenSslTestPeer::client(o);
  pump(client, *term);
  BOOST_TEST_REQUIRE(client.handshake_done(), client.error());
  return client_random_hex(client);
}

}  // namespace

BOOST_AUTO_TEST_CASE(installed_sink_gets_the_client_random_line_of_a_tls12_handshake) {
  auto sink = std::make_shared<MemoryKeyLog>();
  std::string random;
  {
    KeyLogInstallation installed(sink);
    random = handshake(kTls12);
  }
  BOOST_TEST_REQUIRE(!sink->lines().empty());
  const std::string expected_prefix = "CLIENT_RANDOM " + random + " ";
  BOOST_TEST(std::any_of(sink->lines().begin(), sink->lines().end(),
                         [&](const std::string& l) { return l.rfind(expected_prefix, 0) == 0; }),
             "a CLIENT_RANDOM line for this handshake's client random");
}

BOOST_AUTO_TEST_CASE(tls13_handshake_logs_its_traffic_secrets) {
  auto sink = std::make_shared<MemoryKeyLog>();
  std::string random;
  {
    KeyLogInstallation installed(sink);
    random = handshake(kTls13);
  }
  for (const char* label : {"CLIENT_HANDSHAKE_TRAFFIC_SECRET ", "SERVER_HANDSHAKE_TRAFFIC_SECRET ",
                            "CLIENT_TRAFFIC_SECRET_0 ", "SERVER_TRAFFIC_SECRET_0 "}) {
    const std::string prefix = label + random + " ";
    BOOST_TEST(std::any_of(sink->lines().begin(), sink->lines().end(),
                           [&](const std::string& l) { return l.rfind(prefix, 0) == 0; }),
               label);
  }
}

BOOST_AUTO_TEST_CASE(nothing_is_logged_without_or_after_an_installation) {
  auto sink = std::make_shared<MemoryKeyLog>();
  handshake(kTls12);  // no sink installed: must not crash, nothing to check it against
  { KeyLogInstallation installed(sink); }
  handshake(kTls12);
  BOOST_TEST(sink->lines().empty(), "the sink was uninstalled before the handshake");
}
