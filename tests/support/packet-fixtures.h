// Known-good IPv4 packets for the codec tests, as hex.
//
// "Captured" fixtures were recorded on this project's build machine (Linux, Debian 12) with
// `tcpdump -i <if> -w x.pcap` and dumped with `tcpdump -r x.pcap -vv -X`; tcpdump's own
// checksum verdicts are quoted next to each one and serve as the independent check.
// "Crafted" fixtures come from tests/fixtures/packets/craft-packets.py, which computes the
// checksums in Python with the struct module, independently of the C++ code.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "net/bytes.h"

namespace mitmlab::fixtures {

// Spaces are allowed (and ignored) so fixtures can be grouped by field.
inline Bytes from_hex(std::string_view hex) {
  auto nibble = [](char c) -> std::uint8_t {
    if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
    throw std::invalid_argument("from_hex: not a lower-case hex digit");
  };
  Bytes out;
  std::size_t i = 0;
  while (i < hex.size()) {
    if (hex[i] == ' ') {
      ++i;
      continue;
    }
    if (i + 1 >= hex.size() || hex[i + 1] == ' ')
      throw std::invalid_argument("from_hex: a byte split by a space or cut short");
    out.push_back(static_cast<std::uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    i += 2;
  }
  return out;
}

// Captured on lo: Python's socket.create_connection to a closed port 45999; the kernel's
// RST/ACK reply. tcpdump: "Flags [R.], cksum 0xa2d1 (correct), seq 0, ack 2390235214, win 0".
// The kernel computes reset checksums in software, so this one is complete.
inline constexpr std::string_view kLoopbackRst =
    "45000028000040004006 3cce 7f000001 7f000001 "
    "b3afb486 00000000 8e78184e 5014 0000 a2d1 0000";

// Captured on lo: a Linux SYN, 127.0.0.1:44940 -> 127.0.0.1:45811, options
// [mss 65495,sackOK,TS val 866217021 ecr 0,nop,wscale 10]. Loopback uses checksum offload,
// so the TCP checksum field holds only the partial pseudo-header sum: tcpdump says
// "cksum 0xfe30 (incorrect -> 0x5841)". The IPv4 header checksum is complete.
inline constexpr std::string_view kLoopbackSynPartialChecksum =
    "4500003c04e840004006 37d2 7f000001 7f000001 "
    "af8cb2f3 b44f410f 00000000 a002ffd7 fe30 0000 "
    "0204ffd7 0402 080a 33a16c3d 00000000 0103030a";
inline constexpr std::uint16_t kLoopbackSynCorrectChecksum = 0x5841;

// Captured on lo, same connection: the client's first data segment, "hello mitmlab",
// [P.], seq 1:14, ack 1, win 64, options [nop,nop,TS val 866217022 ecr 1814478162].
// tcpdump: "cksum 0xfe35 (incorrect -> 0x6866)" (partial checksum, as above).
inline constexpr std::string_view kLoopbackDataPartialChecksum =
    "4500004104ea40004006 37cb 7f000001 7f000001 "
    "af8cb2f3 b44f4110 101dea7e 8018 0040 fe35 0000 "
    "0101080a 33a16c3e 6c26bd52 "
    "68656c6c6f206d69746d6c6162";
inline constexpr std::uint16_t kLoopbackDataCorrectChecksum = 0x6866;

// Captured on lo: the kernel's ICMP echo reply (id 0x1234, seq 7, data "mitmlab-echo") to an
// echo request sent from a Python raw socket.
inline constexpr std::string_view kLoopbackEchoReply =
    "45000028699f00004001 1334 7f000001 7f000001 "
    "0000 6f8c 1234 0007 6d69746d6c61622d6563686f";

// Captured on a veth in a network namespace: 10.77.0.2 connected to 10.88.0.5:443 with
// IP_TTL 1 through a Linux router at 10.77.0.1, which answered with ICMP Time Exceeded
// quoting the whole 60-byte SYN (Linux quotes up to 576 bytes). tcpdump decoded it as
// "ICMP time exceeded in-transit, length 68" quoting "10.77.0.2.55678 > 10.88.0.5.443:
// Flags [S] ... seq 1509431569" (0x59f81911). The quoted SYN's TCP checksum is partial
// (offload), as in the loopback fixtures; the ICMP and both IPv4 header checksums are complete.
inline constexpr std::string_view kLinuxTimeExceeded =
    "45c00058e4dc00004001 806c 0a4d0001 0a4d0002 "
    "0b00 7568 00000000 "
    "4500003c31d640000106333b0a4d00020a580005"
    "d97e01bb59f8191100000000a002faf014da0000020405b40402080a03a9660c000000000103030a";

// Crafted (craft-packets.py, fixture 1): 10.1.0.2:40000 -> 10.2.0.9:443, seq 0xfffffff0,
// ack 7, [P.], reserved bits 0x1, window 502, 40 bytes of options: NOP, MSS 1448, SACK
// {1000-2000}, TS 0x01020304/0x0a0b0c0d, unknown kind 30 (data beef), MSS with length 3
// (data 99, kept raw), NOP, WS 2, EOL + padding 00 07 00; payload "odd payload".
inline constexpr std::string_view kCraftedAllOptions =
    "4500005b123440004006145c0a0100020a020009"
    "9c4001bbfffffff000000007f11801f630360000"
    "01020405a8050a000003e8000007d0080a010203040a0b0c0d1e04beef02039901030302000007"
    "00"
    "6f6464207061796c6f6164";

// Crafted (fixture 2): an ns-3 style Time Exceeded from router 10.0.3.1 quoting only the
// header and 8 bytes of a TCP probe 10.0.0.1:49153 -> 10.0.9.2:443, seq 0x11223344, TTL 1.
inline constexpr std::string_view kNs3StyleTimeExceeded =
    "4500003800000000400163c40a0003010a000001"
    "0b00eedc00000000"
    "450000370007400001065cb80a0000010a000902c00101bb11223344";

// Crafted (fixture 3): Destination Unreachable, fragmentation needed, next-hop MTU 1400,
// quoting 28 bytes of a UDP datagram 10.0.0.1:5353 -> 10.0.9.2:53.
inline constexpr std::string_view kFragmentationNeeded =
    "4500003812340000400151900a0003010a000001"
    "0304e25900000578"
    "450000201234400040110b970a0000010a00090214e90035000c0000";

// Crafted (fixture 4): 192.0.2.1 -> 198.51.100.7, IHL 6 with a Router Alert option,
// protocol 253, payload "xyz", then 5 bytes of link padding beyond the total length (27).
inline constexpr std::string_view kIpv4WithOptionsAndPadding =
    "4600001b1234400040fda671c0000201c6336407940400007879 7a0000000000";

}  // namespace mitmlab::fixtures
