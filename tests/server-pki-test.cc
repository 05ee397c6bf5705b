// The scenario's simulated public PKI: chains per CertKind checked with OpenSSL's own
// verifier, vhost leaves per SNI, determinism and independence of order, leaf fields.
#define BOOST_TEST_MODULE server_pki
#include <boost/test/unit_test.hpp>

#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <set>

#include "net/seeded-random.h"
#include "net/trust-store.h"
#include "sim/server-pki.h"
#include "support/forge-test-helpers.h"
#include "support/openssl-test-peer.h"

using namespace mitmlab;
using namespace mitmlab::test;

namespace {

constexpr std::time_t kStart = 1563408000;  // 2019-07-18T00:00:00Z
constexpr std::time_t kDay = 86400;

ScenarioPki two_roots() {
  ScenarioPki pki;
  pki.roots = {"mitmlab Fictional Root A", "mitmlab Fictional Root B"};
  pki.box_trusts = {"mitmlab Fictional Root A"};  // the box trusts only A; clients trust both
  return pki;
}

ScenarioServer server(const std::string& name, CertKind kind, const std::string& issuer = "") {
  ScenarioServer s;
  s.name = name;
  s.kind = kind;
  s.issuer = issuer;
  return s;
}

ServerPki make_pki(const ScenarioPki& config = two_roots(), std::uint64_t seed = 7) {
  auto pki = ServerPki::create(config, seed, kStart);
  BOOST_TEST_REQUIRE(pki.ok(), (pki.ok() ? "" : pki.message()));
  return std::move(*pki);
}

ServerCredentialsPtr creds(ServerPki& pki, const ScenarioServer& s) {
  auto c = pki.credentials_for(s);
  BOOST_TEST_REQUIRE(c.ok(), (c.ok() ? "" : c.message()));
  return *c;
}

// X509_verify_cert as a TLS client would run it, at `at`; X509_V_OK when trusted.
int verify(X509_STORE* store, const TlsCredentials& chain, std::time_t at) {
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509StackPtr untrusted(sk_X509_new_null());
  BOOST_TEST_REQUIRE((ctx && untrusted));
  for (const auto& c : chain.intermediates) {
    X509_up_ref(c.get());
    BOOST_TEST_REQUIRE(sk_X509_push(untrusted.get(), c.get()) > 0);
  }
  BOOST_TEST_REQUIRE(X509_STORE_CTX_init(ctx.get(), store, chain.leaf.get(), untrusted.get()) == 1);
  X509_STORE_CTX_set_default(ctx.get(), "ssl_server");
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), at);
  int rc = X509_verify_cert(ctx.get());
  int err = X509_STORE_CTX_get_error(ctx.get());
  return rc == 1 ? X509_V_OK : (err == X509_V_OK ? -1 : err);
}

Bytes der(const X509* c) { return x509_to_der(c); }

// A host name per kind (cert_kind_name lives in sim/scenario.cc, which this test need not link).
std::string host_for(CertKind k) { return "kind" + std::to_string(static_cast<int>(k)) + ".example"; }

std::string cn_of(const X509_NAME* name) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(const_cast<X509_NAME*>(name), NID_commonName, buf, sizeof buf);
  return buf;
}

std::set<std::string> san_dns(const X509& cert) {
  std::set<std::string> out;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(&cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
    if (n->type == GEN_DNS)
      out.emplace(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)),
                  static_cast<std::size_t>(ASN1_STRING_length(n->d.dNSName)));
  }
  return out;
}

std::time_t unix_of(const ASN1_TIME* t) {
  Asn1TimePtr epoch(ASN1_TIME_set(nullptr, 0));
  return static_cast<std::time_t>(seconds_between(epoch.get(), t));
}

}  // namespace

BOOST_AUTO_TEST_CASE(each_kind_verifies_as_expected_against_client_and_box_stores) {
  ServerPki pki = make_pki();
  X509StorePtr client = pki.client_trust_store();
  X509StorePtr box = pki.box_trust_store();

  struct Case {
    ScenarioServer s;
    int client, box;
    bool box_trusts;
  };
  const std::vector<Case> cases = {
      {server("bank.example", CertKind::trusted), X509_V_OK, X509_V_OK, true},
      {server("news.example", CertKind::trusted, "mitmlab Fictional Root B"), X509_V_OK,
       X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, false},
      {server("shared.example", CertKind::vhost), X509_V_OK, X509_V_OK, true},
      {server("router.example", CertKind::self_signed), X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
       X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, false},
      {server("old.example", CertKind::expired), X509_V_ERR_CERT_HAS_EXPIRED,
       X509_V_ERR_CERT_HAS_EXPIRED, false},
      {server("odd.example", CertKind::unknown_root), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
       X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, false},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.s.name) {
      auto sc = creds(pki, c.s);
      const TlsCredentials& chain = *sc->default_credentials();
      BOOST_TEST(verify(client.get(), chain, kStart) == c.client);
      BOOST_TEST(verify(box.get(), chain, kStart) == c.box);
      BOOST_TEST(pki.box_trusts_origin(c.s) == c.box_trusts);
      BOOST_TEST(chain.intermediates.size() == (c.s.kind == CertKind::self_signed ? 0u : 1u));
      // The key really is the leaf's.
      BOOST_TEST(X509_check_private_key(chain.leaf.get(), chain.key.get()) == 1);
    }
  }

  // The expired leaf is otherwise sound: trusted before it expired.
  auto old = creds(pki, server("old.example", CertKind::expired));
  BOOST_TEST(verify(client.get(), *old->default_credentials(), kStart - 100 * kDay) == X509_V_OK);
  // The unknown-root leaf is otherwise sound: trusted by a store holding the unknown root.
  X509StorePtr unknown(X509_STORE_new());
  X509Ptr unknown_root = pki.unknown_root();
  BOOST_TEST_REQUIRE(X509_STORE_add_cert(unknown.get(), unknown_root.get()) == 1);
  auto odd = creds(pki, server("odd.example", CertKind::unknown_root));
  BOOST_TEST(verify(unknown.get(), *odd->default_credentials(), kStart) == X509_V_OK);
  // The self-signed leaf is signed by its own key.
  auto router = creds(pki, server("router.example", CertKind::self_signed));
  EvpPkeyPtr own(X509_get_pubkey(router->default_credentials()->leaf.get()));
  BOOST_TEST(X509_verify(router->default_credentials()->leaf.get(), own.get()) == 1);

  // Servers without a TLS listener have no credentials, and the box never trusts them.
  for (CertKind k : {CertKind::no_tls, CertKind::down}) {
    auto none = pki.credentials_for(server("closed.example", k));
    BOOST_TEST(!none.ok());
    if (!none.ok()) BOOST_TEST(none.message().find("no TLS listener") != std::string::npos);
    BOOST_TEST(!pki.box_trusts_origin(server("closed.example", k)));
  }
}

BOOST_AUTO_TEST_CASE(ground_truth_follows_the_box_store_not_the_kind) {
  ScenarioPki config = two_roots();
  config.box_trusts = {"mitmlab Fictional Root B"};
  ServerPki pki = make_pki(config);
  BOOST_TEST(!pki.box_trusts_origin(server("a.example", CertKind::trusted)));
  BOOST_TEST(pki.box_trusts_origin(server("b.example", CertKind::trusted, "mitmlab Fictional Root B")));
  BOOST_TEST(pki.box_trust()->size() == 1u);
}

BOOST_AUTO_TEST_CASE(vhost_mints_one_trusted_leaf_per_sni) {
  ServerPki pki = make_pki();
  X509StorePtr client = pki.client_trust_store();
  auto vh = creds(pki, server("shared.example", CertKind::vhost));
  BOOST_TEST(vh->mints_per_sni());
  BOOST_TEST(vh->for_sni("") == vh->default_credentials());
  BOOST_TEST(vh->for_sni("shared.example") == vh->default_credentials());
  BOOST_TEST(vh->for_sni("WWW.Shared.Example") == vh->default_credentials());
  BOOST_TEST(vh->minted() == 0u);

  TlsCredentialsPtr a = vh->for_sni("www.facebook.com");
  TlsCredentialsPtr b = vh->for_sni("other.example");
  BOOST_TEST(vh->minted() == 2u);
  BOOST_TEST(a != b);
  BOOST_TEST(a != vh->default_credentials());
  BOOST_TEST(der(a->leaf.get()) != der(b->leaf.get()));
  BOOST_TEST(vh->for_sni("WWW.FACEBOOK.COM") == a);  // same SNI, same chain object
  BOOST_TEST(vh->minted() == 2u);
  BOOST_TEST(verify(client.get(), *a, kStart) == X509_V_OK);
  BOOST_TEST(verify(client.get(), *b, kStart) == X509_V_OK);
  BOOST_TEST((san_dns(*a->leaf) == std::set<std::string>{"www.facebook.com"}));
  BOOST_TEST(cn_of(X509_get_subject_name(a->leaf.get())) == "www.facebook.com");
  BOOST_TEST(pki.box_trusts_origin(server("shared.example", CertKind::vhost), "www.facebook.com"));
  // Intermediates are shared, not copied.
  BOOST_TEST(a->intermediates.at(0).get() == vh->default_credentials()->intermediates.at(0).get());

  // Other kinds present one chain whatever the SNI.
  for (CertKind k : {CertKind::trusted, CertKind::self_signed, CertKind::expired, CertKind::unknown_root}) {
    auto one = creds(pki, server(host_for(k), k));
    BOOST_TEST(!one->mints_per_sni());
    BOOST_TEST(one->for_sni("www.facebook.com") == one->default_credentials());
    BOOST_TEST(one->minted() == 0u);
  }
}

BOOST_AUTO_TEST_CASE(same_seed_same_bytes_whatever_the_order_or_company) {
  const std::vector<ScenarioServer> servers = {
      server("a.example", CertKind::trusted), server("b.example", CertKind::vhost),
      server("c.example", CertKind::self_signed), server("d.example", CertKind::expired),
      server("e.example", CertKind::unknown_root),
      server("f.example", CertKind::trusted, "mitmlab Fictional Root B")};
  ServerPki one = make_pki();
  ServerPki two = make_pki();
  // `two` first mints other servers and a vhost SNI, then the same ones in reverse order.
  creds(two, server("noise.example", CertKind::trusted));
  creds(two, server("b.example", CertKind::vhost))->for_sni("x.example");
  for (auto it = servers.rbegin(); it != servers.rend(); ++it) creds(two, *it);
  for (const auto& s : servers) {
    BOOST_TEST_CONTEXT(s.name) {
      auto x = creds(one, s)->default_credentials();
      auto y = creds(two, s)->default_credentials();
      BOOST_TEST(der(x->leaf.get()) == der(y->leaf.get()));
      BOOST_TEST(x->intermediates.size() == y->intermediates.size());
      for (std::size_t i = 0; i < x->intermediates.size() && i < y->intermediates.size(); ++i)
        BOOST_TEST(der(x->intermediates[i].get()) == der(y->intermediates[i].get()));
    }
  }
  auto b1 = creds(one, servers[1]);
  auto b2 = creds(two, servers[1]);
  BOOST_TEST(der(b1->for_sni("y.example")->leaf.get()) == der(b2->for_sni("y.example")->leaf.get()));
  auto r1 = one.roots(), r2 = two.roots();
  BOOST_TEST_REQUIRE(r1.size() == 2u);
  BOOST_TEST(der(r1[0].get()) == der(r2[0].get()));
  BOOST_TEST(one.ca_pem_files() == two.ca_pem_files());

  // A root's certificate does not depend on which other roots exist.
  ScenarioPki only_a;
  only_a.roots = {"mitmlab Fictional Root A"};
  ServerPki three = make_pki(only_a);
  BOOST_TEST(der(three.roots().at(0).get()) == der(r1[0].get()));
  BOOST_TEST(der(creds(three, servers[0])->default_credentials()->leaf.get()) ==
             der(creds(one, servers[0])->default_credentials()->leaf.get()));

  // A different seed changes keys and certificates.
  ServerPki other = make_pki(two_roots(), 8);
  BOOST_TEST(der(other.roots().at(0).get()) != der(r1[0].get()));
  BOOST_TEST(der(creds(other, servers[0])->default_credentials()->leaf.get()) !=
             der(creds(one, servers[0])->default_credentials()->leaf.get()));
}

BOOST_AUTO_TEST_CASE(no_openssl_randomness_reaches_the_bytes) {
  // A simulation may hold a SeededRandomGuard (they do not nest) while a vhost mints.
  Bytes plain = der(creds(*std::make_unique<ServerPki>(make_pki()), server("a.example", CertKind::trusted))
                        ->default_credentials()->leaf.get());
  SeededRandomGuard guard(as_bytes("some simulation"));
  ServerPki pki = make_pki();
  auto a = creds(pki, server("a.example", CertKind::trusted));
  BOOST_TEST(der(a->default_credentials()->leaf.get()) == plain);
  auto vh = creds(pki, server("v.example", CertKind::vhost));
  BOOST_TEST(vh->for_sni("new.example") != vh->default_credentials());
}

BOOST_AUTO_TEST_CASE(names_are_fictional) {
  ScenarioPki config;
  config.roots = {"mitmlab Fictional Root A", "Acme Root CA"};  // the second gets "mitmlab " prefixed
  ServerPki pki = make_pki(config);
  std::vector<std::string> seen;
  for (const auto& r : pki.roots()) seen.push_back(cn_of(X509_get_subject_name(r.get())));
  seen.push_back(cn_of(X509_get_subject_name(pki.unknown_root().get())));
  BOOST_TEST(seen.at(0) == "mitmlab Fictional Root A");
  BOOST_TEST(seen.at(1) == "mitmlab Acme Root CA");
  BOOST_TEST(seen.at(2) == "mitmlab Unknown Root CA (untrusted)");
  for (CertKind k : {CertKind::trusted, CertKind::unknown_root}) {
    auto c = creds(pki, server(host_for(k), k));
    seen.push_back(cn_of(X509_get_issuer_name(c->default_credentials()->leaf.get())));
  }
  BOOST_TEST(seen.at(3) == "mitmlab Fictional A Issuing CA");
  BOOST_TEST(seen.at(4) == "mitmlab Unknown Issuing CA (untrusted)");
  auto acme = creds(pki, server("acme.example", CertKind::trusted, "Acme Root CA"));
  BOOST_TEST(cn_of(X509_get_issuer_name(acme->default_credentials()->leaf.get())) ==
             "mitmlab Fictional Acme Issuing CA");
  for (const auto& n : seen) BOOST_TEST(n.find("mitmlab") != std::string::npos, n);

  auto files = pki.ca_pem_files();
  BOOST_TEST_REQUIRE(files.size() == 6u);
  BOOST_TEST(files[0].first == "a-root.pem");
  BOOST_TEST(files[1].first == "a-issuing-ca.pem");
  BOOST_TEST(files[2].first == "acme-root.pem");
  BOOST_TEST(files[4].first == "unknown-root.pem");
  BOOST_TEST(files[5].first == "unknown-issuing-ca.pem");
  auto client = certificates_from_pem(pki.client_trust_pem());
  BOOST_TEST_REQUIRE(client.ok());
  BOOST_TEST(client->size() == 2u);
  auto box = certificates_from_pem(make_pki().box_trust_pem());  // two roots, the box trusts A
  BOOST_TEST_REQUIRE(box.ok());
  BOOST_TEST_REQUIRE(box->size() == 1u);
  BOOST_TEST(cn_of(X509_get_subject_name(box->at(0).get())) == "mitmlab Fictional Root A");
}

BOOST_AUTO_TEST_CASE(leaf_fields_look_like_2019_web_pki) {
  ServerPki pki = make_pki();
  auto c = creds(pki, server("Shop.Example", CertKind::trusted));
  const X509& leaf = *c->default_credentials()->leaf;
  const X509& inter = *c->default_credentials()->intermediates.at(0);
  BOOST_TEST(X509_get_version(&leaf) == X509_VERSION_3);
  BOOST_TEST(cn_of(X509_get_subject_name(&leaf)) == "shop.example");
  BOOST_TEST((san_dns(leaf) == std::set<std::string>{"shop.example", "www.shop.example"}));
  BOOST_TEST(unix_of(X509_get0_notBefore(&leaf)) == kStart - 90 * kDay);
  BOOST_TEST(unix_of(X509_get0_notAfter(&leaf)) == kStart + 275 * kDay);
  // Serial: a positive INTEGER of exactly 16 bytes.
  const ASN1_INTEGER* serial = X509_get0_serialNumber(&leaf);
  BOOST_TEST(ASN1_STRING_type(serial) == V_ASN1_INTEGER);
  BOOST_TEST(ASN1_STRING_length(serial) == 16);
  BOOST_TEST((ASN1_STRING_get0_data(serial)[0] & 0x80) == 0);

  const std::uint32_t flags = X509_get_extension_flags(const_cast<X509*>(&leaf));
  BOOST_TEST((flags & EXFLAG_CA) == 0u);
  BOOST_TEST((flags & EXFLAG_BCONS) != 0u);
  BOOST_TEST((X509_get_extended_key_usage(const_cast<X509*>(&leaf)) & XKU_SSL_SERVER) != 0u);
  BOOST_TEST((X509_get_key_usage(const_cast<X509*>(&leaf)) & KU_DIGITAL_SIGNATURE) != 0u);
  BOOST_TEST(X509_get_ext_by_critical(&leaf, 1, -1) >= 0);  // keyUsage, basicConstraints
  // AKI = the intermediate's SKI.
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(const_cast<X509*>(&leaf));
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(const_cast<X509*>(&inter));
  BOOST_TEST_REQUIRE((aki && ski));
  BOOST_TEST(ASN1_OCTET_STRING_cmp(aki, ski) == 0);
  BOOST_TEST(X509_get0_subject_key_id(const_cast<X509*>(&leaf)) != nullptr);
  // An OCSP responder on a .example host.
  OpenSslPtr<STACK_OF(OPENSSL_STRING), X509_email_free> ocsp(X509_get1_ocsp(const_cast<X509*>(&leaf)));
  BOOST_TEST_REQUIRE(sk_OPENSSL_STRING_num(ocsp.get()) == 1);
  std::string url = sk_OPENSSL_STRING_value(ocsp.get(), 0);
  BOOST_TEST(url == "http://ocsp.a.mitmlab.example");
  // A CA/Browser Forum validation policy.
  OpenSslPtr<CERTIFICATEPOLICIES, CERTIFICATEPOLICIES_free> policies(static_cast<CERTIFICATEPOLICIES*>(
      X509_get_ext_d2i(&leaf, NID_certificate_policies, nullptr, nullptr)));
  BOOST_TEST_REQUIRE(sk_POLICYINFO_num(policies.get()) == 1);
  char oid[64] = {};
  OBJ_obj2txt(oid, sizeof oid, sk_POLICYINFO_value(policies.get(), 0)->policyid, 1);
  BOOST_TEST((std::string(oid) == "2.23.140.1.2.1" || std::string(oid) == "2.23.140.1.2.2"), oid);
  BOOST_TEST(X509_get_signature_nid(&leaf) == NID_ecdsa_with_SHA256);

  // Expired leaves: a year that ended 90 days before the start.
  auto old = creds(pki, server("old.example", CertKind::expired));
  BOOST_TEST(unix_of(X509_get0_notBefore(old->default_credentials()->leaf.get())) == kStart - 455 * kDay);
  BOOST_TEST(unix_of(X509_get0_notAfter(old->default_credentials()->leaf.get())) == kStart - 90 * kDay);

  // CA validity windows.
  X509Ptr root = std::move(pki.roots().at(0));
  BOOST_TEST(unix_of(X509_get0_notBefore(root.get())) == kFictionalRootNotBefore);
  BOOST_TEST(unix_of(X509_get0_notAfter(root.get())) == kFictionalRootNotAfter);
  BOOST_TEST(unix_of(X509_get0_notBefore(&inter)) == kFictionalIntermediateNotBefore);
  BOOST_TEST(unix_of(X509_get0_notAfter(&inter)) == kFictionalIntermediateNotAfter);

  // Some subjects carry O and C (organization-validated), some only the CN.
  int with_org = 0;
  for (int i = 0; i < 40; ++i) {
    auto s = creds(pki, server("host" + std::to_string(i) + ".example", CertKind::trusted));
    if (X509_NAME_get_index_by_NID(X509_get_subject_name(s->default_credentials()->leaf.get()),
                                   NID_organizationName, -1) >= 0)
      ++with_org;
  }
  BOOST_TEST(with_org > 0);
  BOOST_TEST(with_org < 40);
}

BOOST_AUTO_TEST_CASE(rsa_2048_server_keys) {
  ScenarioPki config = two_roots();
  config.key = "rsa-2048";
  ServerPki pki = make_pki(config);
  for (CertKind k : {CertKind::trusted, CertKind::self_signed}) {
    auto c = creds(pki, server("rsa.example", k));
    BOOST_TEST_CONTEXT(host_for(k)) {
      const TlsCredentials& chain = *c->default_credentials();
      BOOST_TEST(EVP_PKEY_get_base_id(chain.key.get()) == EVP_PKEY_RSA);
      BOOST_TEST(EVP_PKEY_get_bits(chain.key.get()) == 2048);
      BOOST_TEST(X509_check_private_key(chain.leaf.get(), chain.key.get()) == 1);
      X509StorePtr client = pki.client_trust_store();
      BOOST_TEST(verify(client.get(), chain, kStart) ==
                 (k == CertKind::trusted ? X509_V_OK : X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT));
      if (k == CertKind::trusted)
        BOOST_TEST((X509_get_key_usage(chain.leaf.get()) & KU_KEY_ENCIPHERMENT) != 0u);
    }
    pki = make_pki(config);  // a fresh cache: the same name again with the other kind
  }
}

// The credentials work in a real handshake, and a client that trusts the root verifies them.
BOOST_AUTO_TEST_CASE(credentials_serve_real_tls_handshakes) {
  for (const char* key : {"ec-p256", "rsa-2048"}) {
    ScenarioPki config = two_roots();
    config.key = key;
    ServerPki pki = make_pki(config);
    auto c = creds(pki, server("tls.example", CertKind::trusted));
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
      BOOST_TEST_CONTEXT(key << " version " << version) {
        const TlsCredentials& chain = *c->default_credentials();
        X509Ptr root = std::move(pki.roots().at(0));
        auto client = OpenSslTestPeer::client(
            {root.get(), true, "tls.example", version, kStart});
        auto srv = OpenSslTestPeer::server(
            {chain.leaf.get(), chain.key.get(), {chain.intermediates.at(0).get()}, version, ""});
        pump(client, srv);
        BOOST_TEST(client.handshake_done());
        BOOST_TEST(srv.handshake_done());
        BOOST_TEST(client.verify_result() == X509_V_OK);
        auto seen = client.peer_chain_der();
        BOOST_TEST_REQUIRE(seen.size() == 2u);
        BOOST_TEST(seen[0] == der(chain.leaf.get()));
        BOOST_TEST(seen[1] == der(chain.intermediates[0].get()));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(rsa_keys_come_from_the_key_source) {
  ScenarioPki config;
  config.key = "rsa-2048";
  std::vector<Bytes> asked;
  auto pki = ServerPki::create(config, 7, kStart, [&asked](ByteView seed, const RsaKeySpec& spec) {
    asked.emplace_back(seed.begin(), seed.end());
    return derive_rsa_key(seed, spec);
  });
  BOOST_TEST_REQUIRE(pki.ok());
  BOOST_TEST(asked.empty());  // CA keys are EC P-256 whatever pki.key says
  auto c = pki->credentials_for(server("k.example", CertKind::trusted));
  BOOST_TEST_REQUIRE(c.ok());
  BOOST_TEST(asked.size() == 1u);
  // The same key as without a source.
  ServerPki plain = make_pki(config);
  BOOST_TEST(der((*c)->default_credentials()->leaf.get()) ==
             der(creds(plain, server("k.example", CertKind::trusted))->default_credentials()->leaf.get()));
}

BOOST_AUTO_TEST_CASE(configuration_errors_name_the_field) {
  auto expect = [](const ScenarioPki& c, const std::string& fragment) {
    auto pki = ServerPki::create(c, 1, kStart);
    BOOST_TEST(!pki.ok());
    if (!pki.ok()) BOOST_TEST(pki.message().find(fragment) != std::string::npos, pki.message());
  };
  ScenarioPki bad_key;
  bad_key.key = "dsa-1024";
  expect(bad_key, "pki.key 'dsa-1024'");
  ScenarioPki bad_trust = two_roots();
  bad_trust.client_trusts = {"Nobody"};
  expect(bad_trust, "pki.client_trusts: 'Nobody'");
  ScenarioPki twice;
  twice.roots = {"mitmlab Fictional Root A", "mitmlab Fictional Root A"};
  expect(twice, "listed twice");
  ScenarioPki reserved;
  reserved.roots = {"mitmlab Unknown Root CA (untrusted)"};
  expect(reserved, "reserved");

  ServerPki pki = make_pki();
  auto c = pki.credentials_for(server("x.example", CertKind::trusted, "Nobody"));
  BOOST_TEST(!c.ok());
  if (!c.ok()) BOOST_TEST(c.message().find("issuer 'Nobody'") != std::string::npos);

  Scenario scenario;
  scenario.start = kStart;
  scenario.servers.push_back(server("x.example", CertKind::trusted, "Nobody"));
  auto from_scenario = ServerPki::create(scenario);
  BOOST_TEST(!from_scenario.ok());
}
