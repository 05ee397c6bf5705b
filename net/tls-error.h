// Errors from the TLS parsers: a code a caller can count and switch on, and a message a
// person can act on. The parsers never throw; they return TlsResult<T>.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <fmt/core.h>

namespace mitmlab {

enum class TlsErrc {
  truncated,             // a length prefix or field runs past the bytes it lives in
  bad_record_type,       // a record that cannot carry a ClientHello
  bad_record_version,    // record legacy_version whose major byte is not 3
  record_too_long,       // record length above the RFC 8446 limit
  empty_record,          // zero-length handshake record (RFC 8446 §5.1 forbids it)
  bad_handshake_type,    // a handshake message other than ClientHello
  too_large,             // above the reassembler's buffer cap
  bad_field,             // a field with an impossible value (odd suite list length, ...)
  bad_extension,         // an extension body that does not decode
  duplicate_extension,   // the same extension type twice (RFC 8446 §4.2)
  trailing_bytes,        // bytes left over inside a bounded block
};

std::string_view tls_errc_name(TlsErrc code);
// Prints tls_errc_name(code), so test frameworks can show codes.
std::ostream& operator<<(std::ostream& out, TlsErrc code);

struct TlsError {
  TlsErrc code;
  std::string message;
};

template <typename... Args>
TlsError tls_error(TlsErrc code, fmt::format_string<Args...> format, Args&&... args) {
  return TlsError{code, fmt::format(format, std::forward<Args>(args)...)};
}

// Value or TlsError; the same shape as Result<T> with a countable code.
template <typename T>
class [[nodiscard]] TlsResult {
 public:
  TlsResult(T value) : state_(std::move(value)) {}         // NOLINT: implicit by design
  TlsResult(TlsError error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const TlsError& error() const { return std::get<1>(state_); }
  TlsErrc code() const { return error().code; }
  const std::string& message() const { return error().message; }

 private:
  std::variant<T, TlsError> state_;
};

}  // namespace mitmlab
