// Proves the build links ns-3 and that its C++20-safe headers work: two nodes, one
// point-to-point link, one UDP datagram, with checksums on.
#define BOOST_TEST_MODULE ns3_smoke
#include <boost/test/unit_test.hpp>

#include <ns3/global-value.h>
#include <ns3/inet-socket-address.h>
#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/node-container.h>
#include <ns3/packet.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/simulator.h>
#include <ns3/socket.h>
#include <ns3/boolean.h>
#include <ns3/string.h>

BOOST_AUTO_TEST_CASE(udp_datagram_crosses_a_point_to_point_link) {
  using namespace ns3;
  GlobalValue::Bind("ChecksumEnabled", BooleanValue(true));
  NodeContainer nodes;
  nodes.Create(2);
  PointToPointHelper link;
  link.SetDeviceAttribute("DataRate", StringValue("10Mbps"));
  link.SetChannelAttribute("Delay", StringValue("5ms"));
  NetDeviceContainer devices = link.Install(nodes);
  InternetStackHelper stack;
  stack.Install(nodes);
  Ipv4AddressHelper addresses("10.0.0.0", "255.255.255.0");
  Ipv4InterfaceContainer ifaces = addresses.Assign(devices);

  auto udp = TypeId::LookupByName("ns3::UdpSocketFactory");
  Ptr<Socket> receiver = Socket::CreateSocket(nodes.Get(1), udp);
  receiver->Bind(InetSocketAddress(Ipv4Address::GetAny(), 9));
  std::uint32_t received = 0;
  Time arrival;
  receiver->SetRecvCallback(Callback<void, Ptr<Socket>>([&](Ptr<Socket> s) {
    while (Ptr<Packet> p = s->Recv()) received += p->GetSize();
    arrival = Simulator::Now();
  }));

  Ptr<Socket> sender = Socket::CreateSocket(nodes.Get(0), udp);
  sender->Connect(InetSocketAddress(ifaces.GetAddress(1), 9));
  Simulator::Schedule(Seconds(1), [sender] { sender->Send(Create<Packet>(100)); });
  Simulator::Run();
  Simulator::Destroy();

  BOOST_TEST(received == 100u);
  BOOST_TEST(arrival > Seconds(1.005));  // one link delay plus serialisation
  BOOST_TEST(arrival < Seconds(1.01));
}
