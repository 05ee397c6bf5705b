#include "scanner/known-authorities.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <memory>

#include "net/openssl.h"
#include "scanner/certificate-summary.h"

namespace mitmlab {

namespace {

// C=KZ, CN=Qaznet Trust Network; RSA-4096; 2016-02-02 to 2046-02-02.
constexpr const char* kQaznetRootPem =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIFSTCCAzGgAwIBAgIUPZV/yh+MD8hpLAGZTrVSMQNbnfEwDQYJKoZIhvcNAQEL\n"
    "BQAwLDELMAkGA1UEBhMCS1oxHTAbBgNVBAMTFFFhem5ldCBUcnVzdCBOZXR3b3Jr\n"
    "MB4XDTE2MDIwMjA1NDEwMFoXDTQ2MDIwMjA1NDEwMFowLDELMAkGA1UEBhMCS1ox\n"
    "HTAbBgNVBAMTFFFhem5ldCBUcnVzdCBOZXR3b3JrMIICIjANBgkqhkiG9w0BAQEF\n"
    "AAOCAg8AMIICCgKCAgEA7h21UOirIlpNf3QgRyiTUnRKqrB4MgVTvs/Gq62AQqD8\n"
    "sBex3K+a2FmG77xWXUhbvc4MAZ/dnX0oziZ+7iV7iQp4tNuIiMxAO9RR2N8AAAyZ\n"
    "uHN+J7jcDjYsHvqXRLxepK47GDMjDTwDfb37pXNgVNhkm3d4cZgRjlSXWPbFV6Fw\n"
    "eOdmxWOIqhus4eTf7lKgIjhUMwiDs/Gz9dnTTkgG6iOh78qAmFQ0IqxAAZqHMt+r\n"
    "Ec1aXIHC/P2MrwL0zCr+kREv0bUbTwHAHlt+dy3++IcE7b81hy6QabUZBo7ApxUd\n"
    "puGcrGsRPvWhIMWTNj7FE6aBFEPAjVq4XPcOCfSIBH9A2fyj5PMueMtlCzD6FSSk\n"
    "bVu0hdhyrnZAe0b0knBLE58EOvDPP88OWoNsPs+WykZAQo3FX1fdU34dpzaTEx+G\n"
    "oMqZ8cb3bVbO+NUIvhGnvG6/JmoQIYjiRnvj/O8qqKgm2gjmADfliuuN8LBOl2yN\n"
    "WeqLjsYAM9mr9xOFs8lwPCCXpW/sWqjVs2mEoeVybGBi0MIyfv3cqIiliEGCI4aR\n"
    "P0+Pm1VI6JVobDFbwAgvrFniUuSxmDFVUcWoM+jEFN7kbekuEinYDxOEQVSs5WK4\n"
    "W4txDGpudGzmrkBxlXBaWqfuqG7u0/Pu3Jq6a0v8TjzVRJgTcGlI0vNUUIfJ56cC\n"
    "AwEAAaNjMGEwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQU9JS/3lC222skPZ73\n"
    "vjquNtf7DgUwHwYDVR0jBBgwFoAU9JS/3lC222skPZ73vjquNtf7DgUwDgYDVR0P\n"
    "AQH/BAQDAgFGMA0GCSqGSIb3DQEBCwUAA4ICAQCxhROILS3MrJB5QqEk/5eeFtnb\n"
    "hvpz/cOntClxnD+0AYDscZieT7qn9fXYyRSzjZ8ZmfFGRUQILPepReuNLe3AAacG\n"
    "iziWb5Xr8zEsJrLQPLX1s0PflBmH651WvjoRKk6fpU4LRj0rTzm1EUJa03PojfMJ\n"
    "SBJ17PdKyffdGwEkjI9LZGxwGP96Vc+ZJalHF7QJCrsqosPy6DvmwgOyrZbEyod2\n"
    "y3GW48l6i01t8324MX1jRy6l3fhhUBGdE/SFzlgQ4poyhwNIBCFSD9t0fc7GreaP\n"
    "zva3ixqGEWBBDM5tBCC3r0S8fNeABi6kpmHHwO2arKxgv+EqqRozX0IC7AVFR1KK\n"
    "hycGmRZQjUJyD7ayoFhpCdaGyP09lPGIhgi8VsB+7DinYogKVURCQYLDNxP3hcPy\n"
    "DFzQWkThq6UvQX1EJWzEU2cCh02YdNitleIN/Yy5JYqYC5wReek0ZPNf9pbPliRN\n"
    "klRmGRk91VhuLyfJrrewaWq4gnUEUkBmh17BabjVvVxIi0oWWI1R9K9fuioMzNJg\n"
    "WtPi46uQYtL6pUUlvAC3pbpRzdze9gioPpkppB116NztzoZTd1aO/eI74RsEByUn\n"
    "px6XqFcS4kAE1jCGA56sv9r3v+FBJgS88tYmtUqD11s81meApfpT5w6E6HMo+7oV\n"
    "0L2lqTDp5kJmWjnt7g==\n"
    "-----END CERTIFICATE-----\n";

// C=KZ, CN=Security Certificate, issued by the root above; RSA-2048; 2018-02-12 to 2021-02-12.
constexpr const char* kQaznetIntermediatePem =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIEkzCCAnugAwIBAgIUXk2Qgn+G61r0gxX0UI6rOulyTakwDQYJKoZIhvcNAQEL\n"
    "BQAwLDELMAkGA1UEBhMCS1oxHTAbBgNVBAMTFFFhem5ldCBUcnVzdCBOZXR3b3Jr\n"
    "MB4XDTE4MDIxMjA2MzY1NloXDTIxMDIxMjA2MzY1NlowLDELMAkGA1UEBhMCS1ox\n"
    "HTAbBgNVBAMTFFNlY3VyaXR5IENlcnRpZmljYXRlMIIBIjANBgkqhkiG9w0BAQEF\n"
    "AAOCAQ8AMIIBCgKCAQEA8/Z7LmBvaxIz2Ju1lCYLK+0aMEmQQ5ZqClEWtPJjt2fp\n"
    "evWm3bIjlqNBGR0gOdepDG6Mm2bJzwuFOu44i7rVR+rAXOS6QtXXv2/vHNDRLFkb\n"
    "4vgZa6vjzy5jch/QgPPQf5QW5fLV5ZQthVJjarbUWe4r7/QhseKvwEoqm+SRv8F8\n"
    "zxANn6ykI1D8J89N4px+33xZwNA0Av0GK/b2x54ZSpgSeuVfksAc+nS1yi3AHczB\n"
    "BX5/Zp4uBiTNv00v3x9UQmAQEnvDCdvlmzguB2b/Qh3mB5ZTF1UHtqU7fxtzXZJR\n"
    "Vnux2FN0DG5WhtLGnuj028hzvdLI8MGvbW4IqDK93QIDAQABo4GsMIGpMA8GA1Ud\n"
    "EwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMB0GA1UdDgQWBBReTZCCf4brWvSD\n"
    "FfRQjqs66XJNqTBnBgNVHSMEYDBegBT0lL/eULbbayQ9nve+Oq421/sOBaEwpC4w\n"
    "LDELMAkGA1UEBhMCS1oxHTAbBgNVBAMTFFFhem5ldCBUcnVzdCBOZXR3b3JrghQ9\n"
    "lX/KH4wPyGksAZlOtVIxA1ud8TANBgkqhkiG9w0BAQsFAAOCAgEAuer7RPCz9ZLF\n"
    "iazemcfNQnjQzGY4BkXo7HvuvPqhwwRw6KU9VSdGXkAogIGYyREO9zSrPDvQC5mu\n"
    "dnpQXif9ViJajW1VuZKMDmRi0WQOjst7JgkpALeVKRTX99+wsxjWQwx0OM9jG0/U\n"
    "6GGkP6nA4SruRnLp0IkrAD8YqlheIIJWwXP9nAd+9zc9A8uk++nSpUhi1+r21mD9\n"
    "ZhTlKNLOCY7N+xF5ehYyP4nqdKx57xDaPKkU62FOUiUE9Qcwmmpe3kEW/KYF4GMo\n"
    "XtXzvFbb8g1vR3IOVaCn7cQs2GQPUntsWtLnvNOFCq8J7rhbKsiGIeGN9cSbo8Yf\n"
    "jeWOE9aO5qbv8C+Sn7IoO91kGJ9ht5AZNMwT2pWnnIg24knbnbdz8Kki9yG/+QrK\n"
    "WqL5qSf7DMF+MG2i1Gew3VxO/0kXR8dZquQvsKtvUEEUeLnkjpIr0H76mvTYxA+7\n"
    "GOBn0Jdb4MAFKi5gufKOwBa+vuNvotY5s8R40Iz1JfcFjMpJ4GzfKXXWWv5FE1pN\n"
    "hr2z3Kqe2hFxsQIWa80T9sEVey0rNjQrpWLBemt6Hz1Tp9PZY0yR3LROtUGSlFG+\n"
    "Zq2+HQdxUrUQGB9xOMWnW5SzqJ3pv7Z7s4Yv/iYftOihomn9f1YZS/sr1R5g92n7\n"
    "ifYMSWmTtfs4H8okXL/Y7JJrWy30ZLI=\n"
    "-----END CERTIFICATE-----\n";

X509Ptr parse_pem(const char* pem) {
  BioPtr bio(BIO_new_mem_buf(pem, -1));
  return X509Ptr(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

struct KnownName {
  std::string authority;
  X509NamePtr name;
};

X509NamePtr make_name(std::initializer_list<std::pair<int, const char*>> entries) {
  X509NamePtr name(X509_NAME_new());
  for (const auto& [nid, value] : entries)
    X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(value), -1, -1, 0);
  return name;
}

struct Registry {
  std::vector<X509Ptr> genuine;  // the real qaznet-2019 root and intermediate
  std::vector<KnownName> names;
};

const Registry& registry() {
  static const Registry r = [] {
    Registry r;
    for (const char* pem : {kQaznetRootPem, kQaznetIntermediatePem})
      if (X509Ptr c = parse_pem(pem)) r.genuine.push_back(std::move(c));
    r.names.push_back({"qaznet-2019", make_name({{NID_countryName, "KZ"},
                                                 {NID_commonName, "Qaznet Trust Network"}})});
    r.names.push_back({"qaznet-2019", make_name({{NID_countryName, "KZ"},
                                                 {NID_commonName, "Security Certificate"}})});
    r.names.push_back(
        {"isca-2020",
         make_name({{NID_countryName, "KZ"},
                    {NID_organizationName, "ISCA"},
                    {NID_commonName, "Information Security Certification Authority CA"}})});
    r.names.push_back({"isca-2020", make_name({{NID_countryName, "KZ"},
                                               {NID_organizationName, "ISCA"},
                                               {NID_commonName, "ISCA Intermediate CA"}})});
    return r;
  }();
  return r;
}

Attribution make(std::string authority, bool genuine, std::size_t depth, std::string field,
                 const X509_NAME* name) {
  ERR_clear_error();  // failed X509_verify calls on other certificates leave errors behind
  Attribution a;
  a.label = authority + (genuine ? " (real)" : " (mitmlab look-alike)");
  a.authority = std::move(authority);
  a.genuine = genuine;
  a.depth = depth;
  a.field = std::move(field);
  a.name = one_line_name(name);
  return a;
}

}  // namespace

std::string_view qaznet_root_pem() { return kQaznetRootPem; }
std::string_view qaznet_intermediate_pem() { return kQaznetIntermediatePem; }

std::optional<Attribution> attribute(const std::vector<Bytes>& chain_der) {
  std::vector<X509Ptr> owned;
  std::vector<X509*> certs;
  for (const Bytes& der : chain_der) {
    auto c = x509_from_der(der);
    owned.push_back(c ? std::move(*c) : X509Ptr());
    certs.push_back(owned.back().get());
  }
  return attribute_certificates(certs);
}

std::optional<Attribution> attribute_certificates(const std::vector<X509*>& certs) {
  const Registry& reg = registry();
  // Genuine first, anywhere in the chain: the real key is the strongest evidence.
  for (std::size_t i = 0; i < certs.size(); ++i) {
    X509* cert = certs[i];
    if (!cert) continue;
    // A certificate's own subject says more than the name of its issuer.
    for (const X509Ptr& real : reg.genuine)
      if (X509_NAME_cmp(X509_get_subject_name(cert), X509_get_subject_name(real.get())) == 0 &&
          EVP_PKEY_eq(X509_get0_pubkey(cert), X509_get0_pubkey(real.get())) == 1)
        return make("qaznet-2019", true, i, "subject", X509_get_subject_name(cert));
    for (const X509Ptr& real : reg.genuine)
      if (X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(real.get())) == 0 &&
          X509_verify(cert, X509_get0_pubkey(real.get())) == 1)
        return make("qaznet-2019", true, i, "issuer", X509_get_issuer_name(cert));
  }
  ERR_clear_error();
  for (std::size_t i = 0; i < certs.size(); ++i) {
    X509* cert = certs[i];
    if (!cert) continue;
    for (const KnownName& known : reg.names)
      if (X509_NAME_cmp(X509_get_subject_name(cert), known.name.get()) == 0)
        return make(known.authority, false, i, "subject", X509_get_subject_name(cert));
    for (const KnownName& known : reg.names)
      if (X509_NAME_cmp(X509_get_issuer_name(cert), known.name.get()) == 0)
        return make(known.authority, false, i, "issuer", X509_get_issuer_name(cert));
  }
  return std::nullopt;
}

}  // namespace mitmlab
