#include "sim/tls-app-helpers.h"

#include <ns3/string.h>
#include <ns3/uinteger.h>

#include "sim/tls-client-app.h"
#include "sim/tls-server-app.h"

namespace mitmlab {

TlsServerHelper::TlsServerHelper(std::uint16_t port, TlsCredentialsPtr defaultCredentials)
    : m_default(std::move(defaultCredentials)) {
  m_factory.SetTypeId(TlsServerApp::GetTypeId());
  m_factory.Set("Port", ns3::UintegerValue(port));
}

void TlsServerHelper::SetAttribute(const std::string& name, const ns3::AttributeValue& value) {
  m_factory.Set(name, value);
}

void TlsServerHelper::AddCredentials(const std::string& hostName, TlsCredentialsPtr credentials) {
  m_byName[hostName] = std::move(credentials);
}

ns3::ApplicationContainer TlsServerHelper::Install(ns3::NodeContainer nodes) const {
  ns3::ApplicationContainer apps;
  for (auto it = nodes.Begin(); it != nodes.End(); ++it) {
    auto app = m_factory.Create<TlsServerApp>();
    app->SetDefaultCredentials(m_default);
    for (const auto& [name, creds] : m_byName) app->AddCredentials(name, creds);
    (*it)->AddApplication(app);
    apps.Add(app);
  }
  return apps;
}

TlsClientHelper::TlsClientHelper(const ns3::Address& remote, const std::string& serverName,
                                 X509_STORE* trust) {
  m_factory.SetTypeId(TlsClientApp::GetTypeId());
  m_factory.Set("Remote", ns3::AddressValue(remote));
  m_factory.Set("ServerName", ns3::StringValue(serverName));
  if (trust != nullptr) {
    X509_STORE_up_ref(trust);
    m_trust.reset(trust);
  }
}

void TlsClientHelper::SetAttribute(const std::string& name, const ns3::AttributeValue& value) {
  m_factory.Set(name, value);
}

ns3::ApplicationContainer TlsClientHelper::Install(ns3::NodeContainer nodes) const {
  ns3::ApplicationContainer apps;
  for (auto it = nodes.Begin(); it != nodes.End(); ++it) {
    auto app = m_factory.Create<TlsClientApp>();
    if (m_trust) app->SetTrustStore(m_trust.get());
    (*it)->AddApplication(app);
    apps.Add(app);
  }
  return apps;
}

}  // namespace mitmlab
