// Client fingerprints of a ClientHello: JA3 (Salesforce, 2017) and JA4 (FoxIO, 2023).
// Scans record them per flow; the interceptor's own ClientHello toward the origin is
// recognisable by them (the 2019 box's was "virtually unseen", facts.md §5).
#pragma once

#include <string>

#include "net/client-hello.h"

namespace mitmlab {

// JA3: "SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats", each a
// '-'-joined list of decimal values in wire order, GREASE removed from the first four;
// SSLVersion is legacy_version. Example: "771,4865-4866,0-23-65281,29-23-24,0".
std::string ja3_string(const ClientHello& hello);
// Lower-case hex MD5 of ja3_string().
std::string ja3_hash(const ClientHello& hello);

// JA4 (technical_details/JA4.md in github.com/FoxIO-LLC/ja4), GREASE ignored everywhere:
//  a) transport ('t' TCP, 'q' QUIC, 'd' DTLS); version: highest non-GREASE
//     supported_versions entry, else legacy_version, as 13/12/11/10/s3/s2/d1/d2/d3,
//     unknown "00"; 'd' if a server_name extension is present, else 'i' (presence only:
//     JA4.md and FoxIO's code do not look at the name, so an IP literal is 'd'); cipher count
//     and extension count (SNI and ALPN included), two digits, capped at 99; first and
//     last character of the first ALPN protocol ("00" without one; a one-character
//     protocol repeats it; if its first or last byte is not ASCII alphanumeric, the first
//     and last characters of the protocol's hex instead).
//  b) first 12 hex of SHA-256 over the suites as 4-digit lower-case hex, sorted,
//     ','-joined; "000000000000" if there are none.
//  c) first 12 hex of SHA-256 over the extension types sorted the same way without
//     0x0000 and 0x0010, then, if signature_algorithms lists any, '_' and those
//     algorithms in wire order; "000000000000" if no extension is left.
enum class Ja4Transport { tcp, quic, dtls };
std::string ja4(const ClientHello& hello, Ja4Transport transport = Ja4Transport::tcp);
// JA4_r: the same with b) and c) as the unhashed strings, for debugging fixtures.
std::string ja4_raw(const ClientHello& hello, Ja4Transport transport = Ja4Transport::tcp);

// Lower-case hex digests through OpenSSL EVP.
std::string md5_hex(std::string_view data);
std::string sha256_hex(std::string_view data);

}  // namespace mitmlab
