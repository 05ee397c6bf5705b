// Deterministic OpenSSL randomness for single-threaded simulations and tests.
//
// While a SeededRandomGuard lives, every RAND_bytes / RAND_priv_bytes in the process
// (client and server randoms, ephemeral key shares, ECDSA nonces, key generation) draws
// from a ChaCha20 keystream keyed by SHA-256(seed). Two runs that make the same OpenSSL
// calls in the same order therefore produce byte-identical handshakes. It replaces the
// process-wide RAND_METHOD, so it is only sound when one thread uses OpenSSL; the
// guard restores the previous method when it goes out of scope.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "net/bytes.h"

namespace mitmlab {

// The keystream itself, usable without touching OpenSSL's global state.
class SeededStream {
 public:
  explicit SeededStream(ByteView seed);
  void fill(std::uint8_t* out, std::size_t n);
  std::uint64_t bytes_drawn() const { return drawn_; }

 private:
  void refill();
  std::array<std::uint32_t, 8> key_{};
  std::uint64_t counter_ = 0;
  std::array<std::uint8_t, 64> block_{};
  std::size_t used_ = 64;  // block_ is empty until the first refill
  std::uint64_t drawn_ = 0;
};

// Installs the seeded stream as OpenSSL's RAND_METHOD for its lifetime. Guards nest (strictly
// LIFO): an inner guard's stream serves every draw while it lives, and the outer stream
// resumes where it was, so a piece of work can be made independent of what ran before it
// (a server's key from its own seed, inside a run seeded as a whole).
class SeededRandomGuard {
 public:
  explicit SeededRandomGuard(ByteView seed);
  ~SeededRandomGuard();
  SeededRandomGuard(const SeededRandomGuard&) = delete;
  SeededRandomGuard& operator=(const SeededRandomGuard&) = delete;

  // How many random bytes OpenSSL has drawn so far (tests use it to prove the
  // method is really in use).
  std::uint64_t bytes_drawn() const { return stream_.bytes_drawn(); }

 private:
  SeededStream stream_;
  const void* previous_ = nullptr;        // the RAND_METHOD to restore (outermost guard)
  SeededStream* outer_stream_ = nullptr;  // the enclosing guard's stream, if nested
};

}  // namespace mitmlab
