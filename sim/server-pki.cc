// EC_KEY is deprecated in OpenSSL 3.0, but keys built through it are "legacy" keys, which
// X509_set_pubkey encodes directly; provider keys take an encode-then-decode round trip
// through OSSL_DECODER that costs more than the rest of minting a leaf put together.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "sim/server-pki.h"

#include "net/seeded-random.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <stdexcept>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "interceptor/forge/certificate-builder.h"
#include "interceptor/forge/fake-authority.h"
#include "interceptor/forge/rsa-key-derivation.h"

namespace mitmlab {

namespace server_pki_detail {

using EcGroupPtr = OpenSslPtr<EC_GROUP, EC_GROUP_free>;
using EcPointPtr = OpenSslPtr<EC_POINT, EC_POINT_free>;
using EcdsaSigPtr = OpenSslPtr<ECDSA_SIG, ECDSA_SIG_free>;
using EcKeyPtr = OpenSslPtr<EC_KEY, EC_KEY_free>;

enum class KeyType { ec_p256, rsa_2048 };

struct Context {
  std::uint64_t seed = 0;
  std::time_t start = 0;
  KeyType key_type = KeyType::ec_p256;
  KeySource rsa_keys;  // empty: derive_rsa_key
  EcGroupPtr group;    // P-256, shared read-only by every EC operation
};

struct Authority {
  std::string name;  // as the scenario names the root
  std::string slug;  // for URLs and file names
  X509Ptr root;
  EvpPkeyPtr root_key;
  X509Ptr cert;  // the issuing intermediate
  EvpPkeyPtr key;
  Bytes key_id;  // the intermediate's SKI
};

}  // namespace server_pki_detail

using server_pki_detail::Authority;
using server_pki_detail::Context;
using server_pki_detail::EcdsaSigPtr;
using server_pki_detail::EcKeyPtr;
using server_pki_detail::EcPointPtr;
using server_pki_detail::KeyType;

namespace {

constexpr std::string_view kDomain = "mitmlab/server-pki/v1";
constexpr std::string_view kUnknownRoot = "mitmlab Unknown Root CA (untrusted)";
constexpr std::string_view kUnknownIssuing = "mitmlab Unknown Issuing CA (untrusted)";
constexpr std::string_view kDefaultRoot = "mitmlab Fictional Root A";
constexpr std::string_view kCaOrganization = "mitmlab Fictional Trust Services";
constexpr std::string_view kFictionalCountry = "ZZ";  // ISO 3166 user-assigned: no real country
constexpr const char* kDvPolicy = "2.23.140.1.2.1";   // CA/B Forum domain-validated
constexpr const char* kOvPolicy = "2.23.140.1.2.2";   // CA/B Forum organization-validated

// The kind as it appears in key labels and errors. Kept here rather than calling
// cert_kind_name (sim/scenario.cc) so the bytes never change if that spelling does.
std::string_view kind_label(CertKind kind) {
  switch (kind) {
    case CertKind::trusted: return "trusted";
    case CertKind::vhost: return "vhost";
    case CertKind::self_signed: return "self_signed";
    case CertKind::expired: return "expired";
    case CertKind::unknown_root: return "unknown_root";
    case CertKind::no_tls: return "no_tls";
    case CertKind::down: return "down";
  }
  return "?";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// SHA-256(domain || 0 || seed (8 bytes, big-endian) || label || 0 || counter): the root of
// every derived value, so one label's output never depends on another's. Changing the
// domain, a label or the way a value is drawn from it changes every certificate.
Bytes derive(std::uint64_t seed, std::string_view label, std::uint8_t counter = 0) {
  Bytes in(kDomain.begin(), kDomain.end());
  in.push_back(0);
  Bytes s = seed_bytes(seed);
  in.insert(in.end(), s.begin(), s.end());
  in.insert(in.end(), label.begin(), label.end());
  in.push_back(0);
  in.push_back(counter);
  Bytes out(32);
  unsigned int n = 0;
  if (EVP_Digest(in.data(), in.size(), out.data(), &n, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error(openssl_error("SHA-256").message);  // only on a broken library
  return out;
}

// A value in [1, order - 1] from 64 bytes of hash (the 256-bit excess makes the bias negligible).
Result<BignumPtr> scalar_from(const Bytes& a, const Bytes& b, const BIGNUM& order, BN_CTX* bn) {
  Bytes wide = a;
  wide.insert(wide.end(), b.begin(), b.end());
  BignumPtr x(BN_bin2bn(wide.data(), static_cast<int>(wide.size()), nullptr));
  BignumPtr m(BN_dup(&order));
  if (!x || !m || BN_sub_word(m.get(), 1) != 1 || BN_mod(x.get(), x.get(), m.get(), bn) != 1 ||
      BN_add_word(x.get(), 1) != 1)
    return openssl_error("derived scalar");
  return x;
}

Result<EvpPkeyPtr> ec_key_from_seed(const Context& ctx, std::string_view label) {
  BnCtxPtr bn(BN_CTX_new());
  if (!bn) return openssl_error("BN_CTX_new");
  const BIGNUM* order = EC_GROUP_get0_order(ctx.group.get());
  auto d = scalar_from(derive(ctx.seed, label, 0), derive(ctx.seed, label, 1), *order, bn.get());
  if (!d) return d.error();
  EcPointPtr pub(EC_POINT_new(ctx.group.get()));
  EcKeyPtr ec(EC_KEY_new());
  EvpPkeyPtr key(EVP_PKEY_new());
  if (!pub || !ec || !key ||
      EC_POINT_mul(ctx.group.get(), pub.get(), d->get(), nullptr, nullptr, bn.get()) != 1 ||
      EC_KEY_set_group(ec.get(), ctx.group.get()) != 1 ||
      EC_KEY_set_private_key(ec.get(), d->get()) != 1 ||
      EC_KEY_set_public_key(ec.get(), pub.get()) != 1 ||
      EVP_PKEY_assign_EC_KEY(key.get(), ec.get()) != 1)
    return openssl_error(fmt::format("EC key for '{}'", label));
  ec.release();  // the EVP_PKEY owns it now
  return key;
}

Result<EvpPkeyPtr> key_from_seed(const Context& ctx, std::string_view label, KeyType type) {
  if (type == KeyType::ec_p256) return ec_key_from_seed(ctx, label);
  Bytes seed = derive(ctx.seed, label);
  const RsaKeySpec spec{2048, 65537};
  return ctx.rsa_keys ? ctx.rsa_keys(seed, spec) : derive_rsa_key(seed, spec);
}

// ECDSA-with-SHA256 by OpenSSL, its nonce drawn from a seeded stream keyed by the private
// key and the message (in the spirit of RFC 6979, which OpenSSL 3.0 lacks), so no outside
// random byte decides a signature. The guard nests inside a run's own guard.
Result<Bytes> ecdsa_sign(const Context&, EVP_PKEY& key, ByteView message) {
  unsigned char digest[32];
  unsigned int n = 0;
  if (EVP_Digest(message.data(), message.size(), digest, &n, EVP_sha256(), nullptr) != 1)
    return openssl_error("SHA-256");
  const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(&key);
  const BIGNUM* d = ec ? EC_KEY_get0_private_key(ec) : nullptr;
  if (!d) return make_error("ECDSA: not an EC private key");
  Bytes nonce_seed(32 + sizeof digest);
  if (BN_bn2binpad(d, nonce_seed.data(), 32) != 32)
    return make_error("ECDSA: private key is not a P-256 scalar");
  std::copy(std::begin(digest), std::end(digest), nonce_seed.begin() + 32);
  EcdsaSigPtr sig;
  {
    SeededRandomGuard nonce(nonce_seed);
    sig.reset(ECDSA_do_sign(digest, sizeof digest, const_cast<EC_KEY*>(ec)));
  }
  if (!sig) return openssl_error("ECDSA_do_sign");
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return openssl_error("ECDSA: encode");
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  i2d_ECDSA_SIG(sig.get(), &p);
  return out;
}

// Signs `cert` (RSA: PKCS#1 v1.5, deterministic; EC: ecdsa_sign), as X509_sign does: nothing
// has cached the certificate's hash or extensions yet, and the TBSCertificate is re-encoded
// from its fields on every i2d, so the object needs no re-parsing (which would cost an
// OSSL_DECODER round trip for the public key).
Result<X509Ptr> sign(const Context& ctx, X509Ptr cert, EVP_PKEY& key) {
  if (EVP_PKEY_get_base_id(&key) == EVP_PKEY_RSA) {
    if (Status s = sign_sha256(*cert, key); !s) return s.error();
  } else {
    // What X509_sign would do, with our own signature value: set both AlgorithmIdentifiers,
    // encode the TBSCertificate, sign it and store the signature BIT STRING.
    const ASN1_BIT_STRING* sig_const = nullptr;
    const X509_ALGOR* outer_const = nullptr;
    X509_get0_signature(&sig_const, &outer_const, cert.get());
    auto* outer = const_cast<X509_ALGOR*>(outer_const);
    auto* inner = const_cast<X509_ALGOR*>(X509_get0_tbs_sigalg(cert.get()));
    auto* sig = const_cast<ASN1_BIT_STRING*>(sig_const);
    if (X509_ALGOR_set0(inner, OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF, nullptr) != 1 ||
        X509_ALGOR_set0(outer, OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF, nullptr) != 1)
      return openssl_error("signature algorithm");
    int len = i2d_re_X509_tbs(cert.get(), nullptr);
    if (len <= 0) return openssl_error("encode TBSCertificate");
    Bytes tbs(static_cast<std::size_t>(len));
    unsigned char* p = tbs.data();
    i2d_re_X509_tbs(cert.get(), &p);
    auto value = ecdsa_sign(ctx, key, tbs);
    if (!value) return value.error();
    if (ASN1_BIT_STRING_set(sig, value->data(), static_cast<int>(value->size())) != 1)
      return openssl_error("signature value");
    sig->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);  // no unused bits
    sig->flags |= ASN1_STRING_FLAG_BITS_LEFT;
  }
  return cert;
}

Status append_conf(X509& cert, int nid, const std::string& value) {
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, nullptr, &cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str()));
  if (!ext || X509_add_ext(&cert, ext.get(), -1) != 1)
    return openssl_error(fmt::format("extension {}", value));
  return Ok{};
}

// certificatePolicies with one policy OID and no qualifiers (the conf-string route needs a
// config database).
Status append_policy(X509& cert, const char* oid) {
  using PoliciesPtr = OpenSslPtr<CERTIFICATEPOLICIES, CERTIFICATEPOLICIES_free>;
  PoliciesPtr policies(sk_POLICYINFO_new_null());
  OpenSslPtr<POLICYINFO, POLICYINFO_free> info(POLICYINFO_new());
  if (!policies || !info) return openssl_error("certificatePolicies");
  ASN1_OBJECT_free(info->policyid);
  info->policyid = OBJ_txt2obj(oid, 1);
  if (!info->policyid || sk_POLICYINFO_push(policies.get(), info.get()) <= 0)
    return openssl_error(fmt::format("certificatePolicies {}", oid));
  info.release();  // the stack owns it now
  if (X509_add1_ext_i2d(&cert, NID_certificate_policies, policies.get(), 0, X509V3_ADD_APPEND) != 1)
    return openssl_error("cannot add certificatePolicies");
  return Ok{};
}

// A positive 16-byte serial, as CAs issued them in 2019 (CA/B Forum: 64 random bits or more).
Result<Asn1IntegerPtr> serial_from(std::uint64_t seed, std::string_view label) {
  Bytes b = derive(seed, std::string(label) + "|serial");
  b.resize(16);
  b[0] = static_cast<std::uint8_t>((b[0] & 0x7F) | 0x40);  // 16 bytes, no sign octet
  BignumPtr bn(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
  Asn1IntegerPtr serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!serial) return openssl_error("serial");
  return serial;
}

struct CertSpec {
  std::vector<NameAttribute> subject;
  std::int64_t not_before = 0, not_after = 0;
  std::string serial_label;
};

Result<X509Ptr> new_cert(std::uint64_t seed, const CertSpec& spec, const X509_NAME* issuer,
                         EVP_PKEY& subject_key) {
  auto subject = build_name(spec.subject);
  if (!subject) return subject.error();
  auto nb = make_time(spec.not_before);
  if (!nb) return nb.error();
  auto na = make_time(spec.not_after);
  if (!na) return na.error();
  auto serial = serial_from(seed, spec.serial_label);
  if (!serial) return serial.error();
  const X509_NAME& issuer_name = issuer ? *issuer : static_cast<const X509_NAME&>(**subject);
  return new_certificate(**serial, issuer_name, **subject, **nb, **na, subject_key);
}

// Applies each step in order, stopping at the first error.
template <typename... Steps>
Status all_of(Steps&&... steps) {
  Status result = Ok{};
  ((result ? (result = steps(), 0) : 0), ...);
  return result;
}

std::string slug_of(std::string_view label) {
  std::string out;
  for (char c : lower(label)) {
    if (std::isalnum(static_cast<unsigned char>(c))) out += c;
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "root" : out;
}

// "mitmlab Fictional Root A" -> "A": the part that names the intermediate and the URLs.
std::string short_name(std::string_view root_name) {
  std::string out;
  std::size_t i = 0;
  while (i < root_name.size()) {
    std::size_t j = root_name.find(' ', i);
    if (j == std::string_view::npos) j = root_name.size();
    std::string_view word = root_name.substr(i, j - i);
    std::string w = lower(word);
    if (!w.empty() && w != "mitmlab" && w != "fictional" && w != "root" && w != "ca")
      out += (out.empty() ? "" : " ") + std::string(word);
    i = j + 1;
  }
  return out.empty() ? std::string(root_name) : out;
}

std::vector<NameAttribute> ca_subject(const std::string& cn) {
  return {{NID_countryName, std::string(kFictionalCountry), V_ASN1_PRINTABLESTRING},
          {NID_organizationName, std::string(kCaOrganization), V_ASN1_UTF8STRING},
          {NID_commonName, cn, V_ASN1_UTF8STRING}};
}

const std::vector<KeyUsageBit> kCaKeyUsage = {KeyUsageBit::kDigitalSignature,
                                               KeyUsageBit::kKeyCertSign, KeyUsageBit::kCrlSign};

// authorityInfoAccess pointing at the issuing CA's (fictional, .example) OCSP responder and
// its certificate, e.g. "http://ocsp.a.mitmlab.example".
Status append_info_access(X509& cert, const std::string& slug, std::string_view issuer_file) {
  const std::string host = slug + ".mitmlab.example";
  return append_conf(cert, NID_info_access,
                     fmt::format("OCSP;URI:http://ocsp.{},caIssuers;URI:http://certs.{}/{}", host,
                                 host, issuer_file));
}

// A root and its issuing intermediate; keys and serials hang off the root's CN.
Result<std::shared_ptr<const Authority>> make_authority(const Context& ctx, const std::string& name,
                                                        const std::string& root_cn,
                                                        const std::string& issuing_cn,
                                                        const std::string& slug) {
  auto a = std::make_shared<Authority>();
  a->name = name;
  a->slug = slug;
  auto root_key = ec_key_from_seed(ctx, "root|" + root_cn);
  if (!root_key) return root_key.error();
  a->root_key = std::move(*root_key);
  const CertSpec root_spec{ca_subject(root_cn), kFictionalRootNotBefore, kFictionalRootNotAfter,
                           "root|" + root_cn};
  auto root = new_cert(ctx.seed, root_spec, nullptr, *a->root_key);
  if (!root) return root.error();
  auto root_id = key_identifier(**root);
  if (!root_id) return root_id.error();
  X509& r = **root;
  Status s = all_of(
      [&] { return append_basic_constraints(r, true, true); },
      [&] { return append_key_usage(r, kCaKeyUsage, true); },
      [&] { return append_subject_key_identifier(r, *root_id); });
  if (!s) return s.error();
  auto signed_root = sign(ctx, std::move(*root), *a->root_key);
  if (!signed_root) return signed_root.error();
  a->root = std::move(*signed_root);

  auto key = ec_key_from_seed(ctx, "intermediate|" + root_cn);
  if (!key) return key.error();
  a->key = std::move(*key);
  const CertSpec spec{ca_subject(issuing_cn), kFictionalIntermediateNotBefore,
                      kFictionalIntermediateNotAfter, "intermediate|" + root_cn};
  auto cert = new_cert(ctx.seed, spec, X509_get_subject_name(a->root.get()), *a->key);
  if (!cert) return cert.error();
  auto id = key_identifier(**cert);
  if (!id) return id.error();
  a->key_id = *id;
  X509& c = **cert;
  s = all_of(
      [&] { return append_basic_constraints(c, true, true); },
      [&] { return append_key_usage(c, kCaKeyUsage, true); },
      [&] { return append_subject_key_identifier(c, *id); },
      [&] { return append_authority_key_identifier(c, *root_id, nullptr, nullptr); },
      [&] { return append_info_access(c, slug, slug + "-root.crt"); },
      [&] { return append_policy(c, "2.5.29.32.0"); });
  if (!s) return s.error();
  auto signed_cert = sign(ctx, std::move(*cert), *a->root_key);
  if (!signed_cert) return signed_cert.error();
  a->cert = std::move(*signed_cert);
  return std::shared_ptr<const Authority>(std::move(a));
}

X509Ptr share(X509* cert) {
  X509_up_ref(cert);
  return X509Ptr(cert);
}

// One leaf for `names` (the first is the CN). `issuer` null: self-signed.
Result<TlsCredentialsPtr> mint_leaf(const Context& ctx, const Authority* issuer,
                                    const std::string& label, const std::vector<std::string>& names,
                                    std::int64_t not_before, std::int64_t not_after) {
  auto key = key_from_seed(ctx, label + "|key", ctx.key_type);
  if (!key) return key.error();
  CertSpec spec{{}, not_before, not_after, label};
  // About a quarter of sites carry organization-validated subjects (O and C), as many 2019
  // sites did; which ones depends on the host name only.
  const bool ov = issuer != nullptr && derive(ctx.seed, "ov|" + names[0])[0] < 64;
  if (ov) {
    std::string org = names[0].substr(0, names[0].find('.'));
    spec.subject.push_back(
        {NID_countryName, std::string(kFictionalCountry), V_ASN1_PRINTABLESTRING});
    spec.subject.push_back(
        {NID_organizationName, org + " (mitmlab fictional organization)", V_ASN1_UTF8STRING});
  }
  spec.subject.push_back({NID_commonName, names[0], V_ASN1_UTF8STRING});
  const X509_NAME* issuer_name = issuer ? X509_get_subject_name(issuer->cert.get()) : nullptr;
  auto cert = new_cert(ctx.seed, spec, issuer_name, **key);
  if (!cert) return cert.error();
  auto id = key_identifier(**cert);
  if (!id) return id.error();
  std::string san;
  for (const auto& n : names) san += (san.empty() ? "DNS:" : ",DNS:") + n;
  X509& c = **cert;
  Status s = Ok{};
  if (issuer) {
    std::vector<KeyUsageBit> usage{KeyUsageBit::kDigitalSignature};
    if (ctx.key_type == KeyType::rsa_2048) usage.push_back(KeyUsageBit::kKeyEncipherment);
    // Let's Encrypt's 2019 order.
    s = all_of(
        [&] { return append_key_usage(c, usage, true); },
        [&] { return append_extended_key_usage(c, {NID_server_auth, NID_client_auth}); },
        [&] { return append_basic_constraints(c, false, true); },
        [&] { return append_subject_key_identifier(c, *id); },
        [&] { return append_authority_key_identifier(c, issuer->key_id, nullptr, nullptr); },
        [&] { return append_info_access(c, issuer->slug, issuer->slug + "-issuing-ca.crt"); },
        [&] { return append_conf(c, NID_subject_alt_name, san); },
        [&] { return append_policy(c, ov ? kOvPolicy : kDvPolicy); });
  } else {
    // What `openssl req -x509` writes by default.
    s = all_of(
        [&] { return append_subject_key_identifier(c, *id); },
        [&] { return append_authority_key_identifier(c, *id, nullptr, nullptr); },
        [&] { return append_basic_constraints(c, true, true); },
        [&] { return append_conf(c, NID_subject_alt_name, san); });
  }
  if (!s) return s.error();
  auto signed_cert = sign(ctx, std::move(*cert), issuer ? *issuer->key : **key);
  if (!signed_cert) return signed_cert.error();
  auto creds = std::make_shared<TlsCredentials>();
  creds->leaf = std::move(*signed_cert);
  creds->key = std::move(*key);
  if (issuer) creds->intermediates.push_back(share(issuer->cert.get()));
  return TlsCredentialsPtr(std::move(creds));
}

X509StorePtr store_of(const std::vector<std::shared_ptr<const Authority>>& authorities,
                      const std::vector<std::size_t>& which) {
  X509StorePtr store(X509_STORE_new());
  if (!store) throw std::runtime_error(openssl_error("X509_STORE_new").message);
  for (std::size_t i : which)
    if (X509_STORE_add_cert(store.get(), authorities[i]->root.get()) != 1)
      throw std::runtime_error(openssl_error("X509_STORE_add_cert").message);
  return store;
}

std::string pem_of(const std::vector<std::shared_ptr<const Authority>>& authorities,
                   const std::vector<std::size_t>& which) {
  std::string out;
  for (std::size_t i : which) out += x509_to_pem(authorities[i]->root.get());
  return out;
}

}  // namespace

TlsCredentialsPtr ServerCredentials::for_sni(std::string_view sni) const {
  if (sni.empty()) return default_;
  std::string name = lower(sni);
  if (auto it = by_sni_.find(name); it != by_sni_.end()) return it->second;
  if (!mints_per_sni()) return default_;
  if (auto it = minted_.find(name); it != minted_.end()) return it->second;
  auto leaf = mint_leaf(*context_, issuer_.get(), "leaf|vhost|" + name_ + "|" + name, {name},
                        context_->start - kLeafBeforeStart, context_->start + kLeafAfterStart);
  if (!leaf) return default_;
  minted_.emplace(name, *leaf);
  return *leaf;
}

ServerPki::ServerPki(ServerPki&&) noexcept = default;
ServerPki& ServerPki::operator=(ServerPki&&) noexcept = default;
ServerPki::~ServerPki() = default;

Result<ServerPki> ServerPki::create(const Scenario& scenario, KeySource rsa_keys) {
  auto pki = create(scenario.pki, scenario.seed, scenario.start, std::move(rsa_keys));
  if (!pki) return pki.error();
  for (const auto& server : scenario.servers)
    if (!server.issuer.empty() && !pki->find_authority(server.issuer))
      return make_error("server {}: issuer '{}' is not one of pki.roots", server.name, server.issuer);
  return pki;
}

Result<ServerPki> ServerPki::create(const ScenarioPki& config, std::uint64_t seed,
                                   std::time_t start, KeySource rsa_keys) {
  auto ctx = std::make_shared<Context>();
  ctx->seed = seed;
  ctx->start = start;
  ctx->rsa_keys = std::move(rsa_keys);
  if (config.key == "ec-p256") ctx->key_type = KeyType::ec_p256;
  else if (config.key == "rsa-2048") ctx->key_type = KeyType::rsa_2048;
  else return make_error("pki.key '{}': expected \"ec-p256\" or \"rsa-2048\"", config.key);
  ctx->group.reset(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  if (!ctx->group) return openssl_error("P-256 group");

  ServerPki pki;
  pki.context_ = ctx;
  std::vector<std::string> names = config.roots;
  if (names.empty()) names.emplace_back(kDefaultRoot);
  std::vector<std::string> issuing_names;
  for (const auto& name : names) {
    if (std::count(names.begin(), names.end(), name) > 1)
      return make_error("pki.roots: '{}' is listed twice", name);
    // A name that does not say it is fictional is made to.
    std::string root_cn = lower(name).find("mitmlab") == std::string::npos ? "mitmlab " + name : name;
    if (root_cn == kUnknownRoot) return make_error("pki.roots: '{}' is reserved for the unknown root", name);
    std::string x = short_name(name);
    std::string issuing_cn = "mitmlab Fictional " + x + " Issuing CA";
    if (std::find(issuing_names.begin(), issuing_names.end(), issuing_cn) != issuing_names.end())
      return make_error("pki.roots: '{}' gives the same issuing CA name as an earlier root ('{}')",
                        name, issuing_cn);
    if (slug_of(x) == "unknown") return make_error("pki.roots: '{}' is reserved for the unknown root", name);
    issuing_names.push_back(issuing_cn);
    auto a = make_authority(*ctx, name, root_cn, issuing_cn, slug_of(x));
    if (!a) return make_error("pki root '{}': {}", name, a.message());
    pki.authorities_.push_back(std::move(*a));
  }
  auto unknown = make_authority(*ctx, std::string(kUnknownRoot), std::string(kUnknownRoot),
                                std::string(kUnknownIssuing), "unknown");
  if (!unknown) return make_error("unknown root: {}", unknown.message());
  pki.unknown_ = std::move(*unknown);

  auto indexes = [&](const std::vector<std::string>& list, std::string_view what,
                     std::vector<std::size_t>& out) -> Status {
    if (list.empty())
      for (std::size_t i = 0; i < names.size(); ++i) out.push_back(i);
    for (const auto& n : list) {
      auto it = std::find(names.begin(), names.end(), n);
      if (it == names.end()) return make_error("pki.{}: '{}' is not one of pki.roots", what, n);
      out.push_back(static_cast<std::size_t>(it - names.begin()));
    }
    return Ok{};
  };
  if (Status s = indexes(config.client_trusts, "client_trusts", pki.client_trusts_); !s) return s.error();
  if (Status s = indexes(config.box_trusts, "box_trusts", pki.box_trusts_); !s) return s.error();
  return pki;
}

std::shared_ptr<const Authority> ServerPki::find_authority(std::string_view root_name) const {
  if (root_name.empty()) return authorities_.front();
  for (const auto& a : authorities_)
    if (a->name == root_name) return a;
  return nullptr;
}

Result<ServerCredentialsPtr> ServerPki::credentials_for(const ScenarioServer& server) {
  if (auto it = servers_.find(server.name); it != servers_.end()) return it->second;
  if (server.kind == CertKind::no_tls || server.kind == CertKind::down)
    return make_error("server {}: kind {} has no TLS listener, so no credentials", server.name,
                      kind_label(server.kind));
  std::shared_ptr<const Authority> issuer =
      server.kind == CertKind::unknown_root ? unknown_ : find_authority(server.issuer);
  if (!issuer)
    return make_error("server {}: issuer '{}' is not one of pki.roots", server.name, server.issuer);

  const std::string name = lower(server.name);
  const std::string www = "www." + name;
  const std::int64_t start = context_->start;
  std::int64_t not_before = start - kLeafBeforeStart, not_after = start + kLeafAfterStart;
  if (server.kind == CertKind::expired) {
    not_before = start - kExpiredLeafBeforeStart;
    not_after = start - kLeafBeforeStart;
  }
  const std::string label = fmt::format("leaf|{}|{}", kind_label(server.kind), name);
  const bool self_signed = server.kind == CertKind::self_signed;
  auto leaf = mint_leaf(*context_, self_signed ? nullptr : issuer.get(), label,
                        self_signed ? std::vector<std::string>{name}
                                    : std::vector<std::string>{name, www},
                        not_before, not_after);
  if (!leaf) return make_error("server {}: {}", server.name, leaf.message());

  auto creds = std::make_shared<ServerCredentials>();
  creds->kind_ = server.kind;
  creds->name_ = name;
  creds->default_ = *leaf;
  creds->by_sni_[name] = *leaf;
  if (!self_signed) creds->by_sni_[www] = *leaf;
  if (server.kind == CertKind::vhost) {
    creds->context_ = context_;
    creds->issuer_ = issuer;
  }
  ServerCredentialsPtr out = std::move(creds);
  servers_.emplace(server.name, out);
  return out;
}

X509StorePtr ServerPki::client_trust_store() const { return store_of(authorities_, client_trusts_); }
X509StorePtr ServerPki::box_trust_store() const { return store_of(authorities_, box_trusts_); }
std::string ServerPki::client_trust_pem() const { return pem_of(authorities_, client_trusts_); }
std::string ServerPki::box_trust_pem() const { return pem_of(authorities_, box_trusts_); }

std::shared_ptr<const TrustStore> ServerPki::box_trust() const {
  if (!box_trust_) {
    std::vector<const X509*> roots;
    for (std::size_t i : box_trusts_) roots.push_back(authorities_[i]->root.get());
    auto store = TrustStore::from_roots(roots);
    if (!store) throw std::runtime_error(store.message());  // roots were checked at create()
    box_trust_ = *store;
  }
  return box_trust_;
}

bool ServerPki::box_trusts_origin(const ScenarioServer& server, std::string_view sni) {
  auto creds = credentials_for(server);
  if (!creds) return false;
  TlsCredentialsPtr chain = (*creds)->for_sni(sni);
  std::vector<Bytes> der{x509_to_der(chain->leaf.get())};
  for (const auto& c : chain->intermediates) der.push_back(x509_to_der(c.get()));
  return box_trust()->validate(der, context_->start).trusted;
}

std::vector<X509Ptr> ServerPki::roots() const {
  std::vector<X509Ptr> out;
  for (const auto& a : authorities_) out.push_back(share(a->root.get()));
  return out;
}

X509Ptr ServerPki::unknown_root() const { return share(unknown_->root.get()); }

std::vector<std::pair<std::string, std::string>> ServerPki::ca_pem_files() const {
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&out](const Authority& a) {
    out.emplace_back(a.slug + "-root.pem", x509_to_pem(a.root.get()));
    out.emplace_back(a.slug + "-issuing-ca.pem", x509_to_pem(a.cert.get()));
  };
  for (const auto& a : authorities_) add(*a);
  add(*unknown_);
  return out;
}

Status ServerPki::write_ca_pem_files(const std::filesystem::path& directory) const {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) return make_error("{}: cannot create directory: {}", directory.string(), ec.message());
  for (const auto& [file, pem] : ca_pem_files()) {
    std::ofstream out(directory / file, std::ios::binary);
    out << pem;
    if (!out) return make_error("{}: cannot write", (directory / file).string());
  }
  return Ok{};
}

std::time_t ServerPki::start() const { return context_->start; }

}  // namespace mitmlab
