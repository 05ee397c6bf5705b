// ns-3 style helpers for the TLS applications: configure once, Install on many nodes.
#pragma once

#include <map>
#include <string>

#include <ns3/address.h>
#include <ns3/application-container.h>
#include <ns3/node-container.h>
#include <ns3/object-factory.h>

#include "net/openssl.h"
#include "sim/tls-credentials.h"

namespace mitmlab {

class TlsServerHelper {
 public:
  TlsServerHelper(std::uint16_t port, TlsCredentialsPtr defaultCredentials);
  void SetAttribute(const std::string& name, const ns3::AttributeValue& value);
  void AddCredentials(const std::string& hostName, TlsCredentialsPtr credentials);
  ns3::ApplicationContainer Install(ns3::NodeContainer nodes) const;

 private:
  ns3::ObjectFactory m_factory;
  TlsCredentialsPtr m_default;
  std::map<std::string, TlsCredentialsPtr> m_byName;
};

class TlsClientHelper {
 public:
  // `remote` is an InetSocketAddress; `trust` may be null (nothing verifies then).
  TlsClientHelper(const ns3::Address& remote, const std::string& serverName, X509_STORE* trust);
  void SetAttribute(const std::string& name, const ns3::AttributeValue& value);
  ns3::ApplicationContainer Install(ns3::NodeContainer nodes) const;

 private:
  ns3::ObjectFactory m_factory;
  X509StorePtr m_trust;
};

}  // namespace mitmlab
