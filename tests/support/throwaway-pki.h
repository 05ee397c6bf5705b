// Throwaway certificate authorities and chains for the TLS-leg tests, built in memory:
// a root, an intermediate and a leaf with the extensions a browser-style verifier expects.
// EC P-256 keys by default (fast); RSA-2048 with e = 3 for a leaf shaped like the 2019
// forgeries (facts.md §3). Throws std::runtime_error when OpenSSL refuses: a broken test.
#pragma once

#include <ctime>
#include <initializer_list>
#include <string>
#include <vector>

#include "net/bytes.h"
#include "net/openssl.h"

namespace mitmlab::test {

enum class ThrowawayKeyType { ec_p256, rsa_2048_e3 };

// Seconds since the epoch of a UTC calendar time (no time zone, no OS clock).
std::time_t utc_time(int year, int month, int day, int hour = 0, int minute = 0, int second = 0);

struct ThrowawayCertSpec {
  std::string common_name;
  std::vector<std::string> dns_names;  // subjectAltName DNS entries (leaves)
  std::time_t not_before = utc_time(2019, 1, 1);
  std::time_t not_after = utc_time(2049, 1, 1);
  bool is_ca = false;
  long serial = 1;
  ThrowawayKeyType key_type = ThrowawayKeyType::ec_p256;
};

struct ThrowawayCert {
  X509Ptr cert;
  EvpPkeyPtr key;
};

EvpPkeyPtr make_throwaway_key(ThrowawayKeyType type);
// Self-signed (a root when spec.is_ca, else a self-signed server certificate).
ThrowawayCert make_self_signed(const ThrowawayCertSpec& spec);
// Signed by `issuer`.
ThrowawayCert issue_throwaway_cert(const ThrowawayCert& issuer, const ThrowawayCertSpec& spec);

struct ThrowawayChain {
  ThrowawayCert root;
  ThrowawayCert intermediate;
  ThrowawayCert leaf;
};
// Root "<prefix> Root" -> intermediate "<prefix> Intermediate" -> leaf for `host`.
ThrowawayChain make_throwaway_chain(const std::string& host, const std::string& prefix = "Test",
                                    ThrowawayKeyType leaf_key = ThrowawayKeyType::ec_p256);

// DER of each certificate, in order.
std::vector<Bytes> der_list(std::initializer_list<const X509*> certs);

}  // namespace mitmlab::test
