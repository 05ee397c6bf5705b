// The codecs against ns-3's own headers, since the interceptor and the localizer exchange
// bytes with ns-3 nodes that run with ChecksumEnabled (bad checksums are dropped silently).
// ns-3 serializes, we parse; we build, ns-3 deserializes and checks the checksums.
#define BOOST_TEST_MODULE packet_ns3_interop
#include <boost/test/unit_test.hpp>

#include <ns3/icmpv4.h>
#include <ns3/ipv4-header.h>
#include <ns3/packet.h>
#include <ns3/tcp-header.h>
#include <ns3/tcp-option-sack-permitted.h>
#include <ns3/tcp-option-sack.h>
#include <ns3/tcp-option-ts.h>
#include <ns3/tcp-option-winscale.h>

#include "net/icmp-message.h"
#include "net/ipv4-packet.h"
#include "net/tcp-segment.h"

using namespace mitmlab;

namespace {

Bytes to_bytes(const ns3::Ptr<ns3::Packet>& packet) {
  Bytes out(packet->GetSize());
  packet->CopyData(out.data(), static_cast<std::uint32_t>(out.size()));
  return out;
}

ns3::Ipv4Address to_ns3(Ipv4Address a) { return ns3::Ipv4Address(a.value); }

const Ipv4Address kClient(10, 0, 0, 1);
const Ipv4Address kServer(10, 0, 9, 2);

// A data segment as an ns-3 TCP socket sends it once timestamps and SACK are on.
ns3::Ptr<ns3::Packet> ns3_tcp_datagram() {
  const std::uint8_t data[] = "ns-3 payload, odd length";
  auto packet = ns3::Create<ns3::Packet>(data, sizeof data - 1);
  ns3::TcpHeader tcp;
  tcp.SetSourcePort(49153);
  tcp.SetDestinationPort(443);
  tcp.SetSequenceNumber(ns3::SequenceNumber32(1));
  tcp.SetAckNumber(ns3::SequenceNumber32(4097));
  tcp.SetFlags(ns3::TcpHeader::ACK | ns3::TcpHeader::PSH);
  tcp.SetWindowSize(32768);
  auto ts = ns3::CreateObject<ns3::TcpOptionTS>();
  ts->SetTimestamp(1200);
  ts->SetEcho(1100);
  tcp.AppendOption(ts);
  auto sack = ns3::CreateObject<ns3::TcpOptionSack>();
  sack->AddSackBlock({ns3::SequenceNumber32(5000), ns3::SequenceNumber32(6448)});
  tcp.AppendOption(sack);
  tcp.EnableChecksums();
  tcp.InitializeChecksum(to_ns3(kClient), to_ns3(kServer), 6);
  packet->AddHeader(tcp);

  ns3::Ipv4Header ip;
  ip.SetSource(to_ns3(kClient));
  ip.SetDestination(to_ns3(kServer));
  ip.SetProtocol(6);
  ip.SetTtl(64);
  ip.SetIdentification(5);
  ip.SetPayloadSize(packet->GetSize());
  ip.EnableChecksum();
  packet->AddHeader(ip);
  return packet;
}

}  // namespace

BOOST_AUTO_TEST_CASE(parses_what_ns3_serializes_and_rebuilds_it_byte_identically) {
  Bytes bytes = to_bytes(ns3_tcp_datagram());
  auto p = parse_tcp_packet(bytes);
  BOOST_REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.message()));
  BOOST_TEST(p->ip.checksum_ok);
  BOOST_TEST(p->tcp.checksum_ok);
  BOOST_TEST(p->ip.header.ttl == 64);
  BOOST_TEST(p->ip.header.identification == 5);
  BOOST_TEST(p->tcp.header.seq == 1u);
  BOOST_TEST(p->tcp.header.ack == 4097u);
  BOOST_TEST(tcp_flags_to_string(p->tcp.header.flags) == "P.");
  BOOST_TEST(p->tcp.header.window == 32768);
  TcpOptionSummary s = summarize_tcp_options(p->tcp.header.options);
  BOOST_REQUIRE(s.timestamps.has_value());
  BOOST_TEST(s.timestamps->value == 1200u);
  BOOST_TEST(s.timestamps->echo_reply == 1100u);
  BOOST_REQUIRE(s.sack_blocks.size() == 1u);
  BOOST_TEST(s.sack_blocks[0].left == 5000u);
  BOOST_TEST(s.sack_blocks[0].right == 6448u);
  BOOST_TEST(std::string(as_chars(p->tcp.payload)) == "ns-3 payload, odd length");
  BOOST_TEST(to_hex(build_tcp_packet(p->ip.header, p->tcp.header, p->tcp.payload)) ==
             to_hex(bytes));
}

BOOST_AUTO_TEST_CASE(ns3_accepts_the_checksums_of_what_we_build) {
  const std::uint8_t hello[] = {0x16, 0x03, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o', '!'};
  Bytes bytes = build_tcp_packet({.source = kServer,
                                  .source_port = 443,
                                  .destination = kClient,
                                  .destination_port = 49153,
                                  .seq = 0,
                                  .ack = 1,
                                  .flags = tcp_flag::kSyn | tcp_flag::kAck,
                                  .window = 65535,
                                  .options = {TcpSackPermitted{}, TcpTimestamps{77, 66},
                                              TcpWindowScale{2}},
                                  .payload = hello,
                                  .ttl = 63,
                                  .identification = 300});
  auto packet = ns3::Create<ns3::Packet>(bytes.data(), static_cast<std::uint32_t>(bytes.size()));

  ns3::Ipv4Header ip;
  ip.EnableChecksum();
  packet->RemoveHeader(ip);
  BOOST_TEST(ip.IsChecksumOk());
  BOOST_TEST(ip.GetTtl() == 63);
  BOOST_TEST(ip.GetIdentification() == 300);
  BOOST_TEST(ip.IsDontFragment());
  BOOST_TEST(ip.GetSource() == to_ns3(kServer));
  BOOST_TEST(ip.GetPayloadSize() == bytes.size() - 20);

  ns3::TcpHeader tcp;
  tcp.EnableChecksums();
  tcp.InitializeChecksum(ip.GetSource(), ip.GetDestination(), 6);
  packet->RemoveHeader(tcp);
  BOOST_TEST(tcp.IsChecksumOk());
  BOOST_TEST(tcp.GetSourcePort() == 443);
  BOOST_TEST(tcp.GetAckNumber().GetValue() == 1u);
  BOOST_TEST(tcp.GetFlags() == (ns3::TcpHeader::SYN | ns3::TcpHeader::ACK));
  BOOST_TEST(tcp.HasOption(ns3::TcpOption::SACKPERMITTED));
  auto ts = ns3::DynamicCast<const ns3::TcpOptionTS>(tcp.GetOption(ns3::TcpOption::TS));
  BOOST_REQUIRE(ts);
  BOOST_TEST(ts->GetTimestamp() == 77u);
  BOOST_TEST(ts->GetEcho() == 66u);
  auto ws =
      ns3::DynamicCast<const ns3::TcpOptionWinScale>(tcp.GetOption(ns3::TcpOption::WINSCALE));
  BOOST_REQUIRE(ws);
  BOOST_TEST(ws->GetScale() == 2);
  BOOST_TEST(packet->GetSize() == sizeof hello);

  // One flipped payload bit and ns-3 rejects the checksum: the check above can fail.
  bytes.back() ^= 1;
  auto bad = ns3::Create<ns3::Packet>(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
  ns3::Ipv4Header ip2;
  bad->RemoveHeader(ip2);
  ns3::TcpHeader tcp2;
  tcp2.EnableChecksums();
  tcp2.InitializeChecksum(ip2.GetSource(), ip2.GetDestination(), 6);
  bad->RemoveHeader(tcp2);
  BOOST_TEST(!tcp2.IsChecksumOk());
}

BOOST_AUTO_TEST_CASE(parses_a_time_exceeded_built_the_way_ns3_builds_it) {
  // Icmpv4L4Protocol::SendTimeExceededTtl quotes the received IPv4 header and the first
  // 8 bytes of its payload, then adds the ICMP header with checksum and an IPv4 header.
  auto probe = ns3_tcp_datagram();
  ns3::Ipv4Header original;
  probe->RemoveHeader(original);
  original.SetTtl(1);

  auto packet = ns3::Create<ns3::Packet>();
  ns3::Icmpv4TimeExceeded te;
  te.SetHeader(original);
  te.SetData(probe);
  packet->AddHeader(te);
  ns3::Icmpv4Header icmp;
  icmp.SetType(ns3::Icmpv4Header::ICMPV4_TIME_EXCEEDED);
  icmp.SetCode(ns3::Icmpv4TimeExceeded::ICMPV4_TIME_TO_LIVE);
  icmp.EnableChecksum();
  packet->AddHeader(icmp);
  ns3::Ipv4Header router;
  router.SetSource(ns3::Ipv4Address("10.0.3.1"));
  router.SetDestination(to_ns3(kClient));
  router.SetProtocol(1);
  router.SetTtl(64);
  router.SetPayloadSize(packet->GetSize());
  router.EnableChecksum();
  packet->AddHeader(router);

  Bytes bytes = to_bytes(packet);
  auto p = parse_icmp_packet(bytes);
  BOOST_REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.message()));
  BOOST_TEST(p->ip.checksum_ok);
  BOOST_TEST(p->icmp.checksum_ok);
  BOOST_TEST(p->ip.header.source.to_string() == "10.0.3.1");
  const auto* t = std::get_if<IcmpTimeExceeded>(&p->icmp.body);
  BOOST_REQUIRE(t != nullptr);
  BOOST_TEST(t->code == 0);
  BOOST_TEST(t->quoted.bytes.size() == 28u);  // header + 8 bytes, as the architecture notes say
  BOOST_REQUIRE(t->quoted.ip.has_value());
  BOOST_TEST(t->quoted.ip->header.ttl == 1);
  BOOST_TEST(t->quoted.ip->header.destination == kServer);
  BOOST_TEST(t->quoted.source_port.value_or(0) == 49153);
  BOOST_TEST(t->quoted.destination_port.value_or(0) == 443);
  BOOST_TEST(t->quoted.tcp_seq.value_or(0) == 1u);
  BOOST_TEST(to_hex(build_icmp_packet(p->ip.header, p->icmp.body)) == to_hex(bytes));
}
