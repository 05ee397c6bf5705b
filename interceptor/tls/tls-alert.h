// TLS alert descriptions (RFC 8446 §6, RFC 5246 §7.2) by their registry names, so event
// logs say "unknown_ca" rather than OpenSSL's "unknown CA" or a bare number.
#pragma once

#include <cstdint>
#include <string>

namespace mitmlab {

inline constexpr std::uint8_t kAlertCloseNotify = 0;
inline constexpr std::uint8_t kAlertHandshakeFailure = 40;
inline constexpr std::uint8_t kAlertBadCertificate = 42;
inline constexpr std::uint8_t kAlertCertificateUnknown = 46;
inline constexpr std::uint8_t kAlertUnknownCa = 48;

// The IANA "TLS Alerts" name ("bad_certificate"), or "alert_<n>" for an unassigned value,
// so an unexpected alert still reaches the log with its number.
std::string alert_name(std::uint8_t description);

}  // namespace mitmlab
