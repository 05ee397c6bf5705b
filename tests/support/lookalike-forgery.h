// mitmlab's look-alike interception CAs (interceptor/forge, as `mitmlab ca` mints them) and
// chains forged by them, for the scanner's tests: the scanner library never links the
// interceptor, its tests do. Roots are RSA-2048 here (fast); names, layout and rules are the
// profile's. Minted once per profile per test executable.
#pragma once

#include <boost/test/unit_test.hpp>
#include <map>
#include <memory>
#include <string>

#include "interceptor/forge/fake-authority.h"
#include "interceptor/forge/forger.h"
#include "interceptor/forge/forging-profile.h"

namespace mitmlab::test {

inline std::shared_ptr<const FakeAuthority> lookalike_authority(const std::string& profile_name) {
  static std::map<std::string, std::shared_ptr<const FakeAuthority>> made;
  auto& slot = made[profile_name];
  if (!slot) {
    auto profile = find_profile(profile_name);
    BOOST_TEST_REQUIRE(profile.ok());
    ForgingProfile p = *profile;
    p.root.key_bits = 2048;
    auto ca = FakeAuthority::create(p, 7);
    BOOST_TEST_REQUIRE(ca.ok(), (ca.ok() ? std::string() : ca.message()));
    slot = std::make_shared<const FakeAuthority>(std::move(ca).value());
  }
  return slot;
}

// The chain the box sends for `original`: forged leaf + look-alike intermediate.
inline std::shared_ptr<const ForgedChain> lookalike_forgery(
    const X509& original, const std::string& profile = "qaznet-2019") {
  auto chain = forge_chain(*lookalike_authority(profile), original, {});
  BOOST_TEST_REQUIRE(chain.ok(), (chain.ok() ? std::string() : chain.message()));
  return std::make_shared<const ForgedChain>(std::move(chain).value());
}

}  // namespace mitmlab::test
