// The simulated public web PKI of a scenario: clearly fictional roots, each with one issuing
// intermediate (chains are leaf + intermediate, as real 2019 web PKI chains were), an extra
// root nobody trusts, and per-server leaf certificates shaped like 2019 web PKI leaves
// (subject CN = host name, SAN DNS names, 16-byte serial, one-year validity, keyUsage,
// extKeyUsage serverAuth, basicConstraints CA:FALSE, SKI/AKI, an OCSP URL on a .example host,
// CA/Browser Forum policy OIDs), because the box copies subject, SAN, validity and serial from
// them (facts §3).
//
// Determinism: every key is derived from SHA-256(scenario seed, label) (EC P-256: the private
// scalar comes straight from the hash; rsa-2048: derive_rsa_key), and OpenSSL's ECDSA draws
// its nonce from a SeededRandomGuard keyed by the key and the message (it nests inside a
// run's guard), so certificates are byte-identical for the same seed whatever else exists
// and whatever order they are made in, with or without a run-wide guard.
//
// Cheap for many servers: nothing is minted until credentials_for() asks; certificates and
// keys are kept only as X509/EVP_PKEY objects; intermediates are shared by reference count.
// Not thread-safe (the simulator is single-threaded).
#pragma once

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "interceptor/forge/fake-authority.h"
#include "net/openssl.h"
#include "net/result.h"
#include "net/trust-store.h"
#include "sim/scenario.h"
#include "sim/tls-credentials.h"

namespace mitmlab {

namespace server_pki_detail {
struct Context;
struct Authority;
}  // namespace server_pki_detail

// What one TLS server presents. `trusted`, `expired`, `unknown_root` and `self_signed` servers
// present one chain whatever the SNI; a `vhost` server presents its own chain for its name
// (and www.<name>) and no SNI, and a distinct trusted leaf for exactly the name asked for
// any other SNI, minted on first use and cached (same SNI, same chain object).
class ServerCredentials {
 public:
  CertKind kind() const { return kind_; }
  const std::string& server_name() const { return name_; }

  // For a ClientHello without SNI, or with a name this server has no chain of its own for.
  const TlsCredentialsPtr& default_credentials() const { return default_; }
  // The names the default chain was issued for (its SAN, lower case: the server's name and,
  // except for self_signed, www.<name>), each mapped to the default chain.
  const std::map<std::string, TlsCredentialsPtr>& by_sni() const { return by_sni_; }
  // True when other names get chains of their own from for_sni() (vhost).
  bool mints_per_sni() const { return kind_ == CertKind::vhost; }

  // The chain for a ClientHello naming `sni` ("" = no SNI; case-insensitive). Never null.
  // For vhost this may mint a leaf (EC P-256: well under a millisecond; rsa-2048: ~20 ms);
  // should minting fail (only a broken OpenSSL could), the default chain is returned.
  TlsCredentialsPtr for_sni(std::string_view sni) const;
  std::size_t minted() const { return minted_.size(); }

 private:
  friend class ServerPki;
  CertKind kind_ = CertKind::trusted;
  std::string name_;
  TlsCredentialsPtr default_;
  std::map<std::string, TlsCredentialsPtr> by_sni_;
  std::shared_ptr<const server_pki_detail::Context> context_;      // vhost only
  std::shared_ptr<const server_pki_detail::Authority> issuer_;     // vhost only
  mutable std::unordered_map<std::string, TlsCredentialsPtr> minted_;
};
using ServerCredentialsPtr = std::shared_ptr<const ServerCredentials>;

class ServerPki {
 public:
  // The PKI of a scenario: roots from scenario.pki.roots (default one, "mitmlab Fictional
  // Root A"), keys and serials from scenario.seed, leaves valid around scenario.start.
  // Errors: a name in client_trusts/box_trusts or a server's issuer that is not a root,
  // duplicate root names, or an unknown pki.key. `rsa_keys` serves the rsa-2048 server keys
  // (empty: derive_rsa_key, ~20 ms each; a KeyCache plugs in as in fake-authority.h).
  static Result<ServerPki> create(const Scenario& scenario, KeySource rsa_keys = {});
  static Result<ServerPki> create(const ScenarioPki& pki, std::uint64_t seed, std::time_t start,
                                  KeySource rsa_keys = {});

  ServerPki(ServerPki&&) noexcept;
  ServerPki& operator=(ServerPki&&) noexcept;
  ~ServerPki();

  // The server's credentials, minted on first call and cached by server name. An error for
  // no_tls and down (they have no TLS listener), and for an issuer that is not a root.
  Result<ServerCredentialsPtr> credentials_for(const ScenarioServer& server);

  // New stores holding the roots named by client_trusts / box_trusts (empty list: all roots).
  // The unknown root is in neither.
  X509StorePtr client_trust_store() const;
  X509StorePtr box_trust_store() const;
  std::string client_trust_pem() const;
  std::string box_trust_pem() const;
  // The box's roots as the chain validator that every origin judge uses (built once).
  std::shared_ptr<const TrustStore> box_trust() const;

  // Ground truth: would the box's origin check (net/trust-store.h, no hostname check) judge
  // the chain this server presents for `sni` trusted at the scenario's start? Computed by
  // verifying the actual chain, not from the kind. False for no_tls and down.
  bool box_trusts_origin(const ScenarioServer& server, std::string_view sni = {});

  // The scenario's roots in pki.roots order (new references), then the unknown root apart.
  std::vector<X509Ptr> roots() const;
  X509Ptr unknown_root() const;
  // Every CA certificate as PEM, for a run's certs/ output: (file name, PEM), in a fixed
  // order: for each root "<slug>-root.pem" then "<slug>-issuing-ca.pem", then
  // "unknown-root.pem" and "unknown-issuing-ca.pem".
  std::vector<std::pair<std::string, std::string>> ca_pem_files() const;
  // Writes ca_pem_files() into `directory` (created if missing).
  Status write_ca_pem_files(const std::filesystem::path& directory) const;

  std::time_t start() const;
  std::size_t cached_servers() const { return servers_.size(); }

 private:
  ServerPki() = default;
  // The root named so ("" = the first); null if there is none.
  std::shared_ptr<const server_pki_detail::Authority> find_authority(std::string_view root_name) const;

  std::shared_ptr<const server_pki_detail::Context> context_;
  std::vector<std::shared_ptr<const server_pki_detail::Authority>> authorities_;  // pki.roots order
  std::shared_ptr<const server_pki_detail::Authority> unknown_;
  std::vector<std::size_t> client_trusts_, box_trusts_;  // indexes into authorities_
  mutable std::shared_ptr<const TrustStore> box_trust_;
  std::unordered_map<std::string, ServerCredentialsPtr> servers_;  // by server name
};

// The fixed validity windows (Unix seconds, UTC).
inline constexpr std::int64_t kFictionalRootNotBefore = 1230768000;          // 2009-01-01
inline constexpr std::int64_t kFictionalRootNotAfter = 2177452800;           // 2039-01-01
inline constexpr std::int64_t kFictionalIntermediateNotBefore = 1420070400;  // 2015-01-01
inline constexpr std::int64_t kFictionalIntermediateNotAfter = 1893456000;   // 2030-01-01
// Leaves: [start - 90 days, start + 275 days]; expired ones [start - 455 days, start - 90 days].
inline constexpr std::int64_t kLeafBeforeStart = 90 * 86400;
inline constexpr std::int64_t kLeafAfterStart = 275 * 86400;
inline constexpr std::int64_t kExpiredLeafBeforeStart = 455 * 86400;

}  // namespace mitmlab
