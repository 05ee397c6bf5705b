#include "net/seeded-random.h"

// RAND_METHOD is deprecated in OpenSSL 3.0 but still honoured by RAND_bytes_ex and
// RAND_priv_bytes_ex (which the default provider and libssl call), and it is the one
// hook that reaches every consumer without building a provider.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <openssl/rand.h>
#include <openssl/sha.h>

namespace mitmlab {

namespace {

std::uint32_t rotl(std::uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

void quarter_round(std::uint32_t& a, std::uint32_t& b, std::uint32_t& c, std::uint32_t& d) {
  a += b; d ^= a; d = rotl(d, 16);
  c += d; b ^= c; b = rotl(b, 12);
  a += b; d ^= a; d = rotl(d, 8);
  c += d; b ^= c; b = rotl(b, 7);
}

// The stream OpenSSL's callbacks draw from; set only while a guard lives.
SeededStream* g_active = nullptr;

int seeded_bytes(unsigned char* buf, int num) {
  if (g_active == nullptr || num < 0) return 0;
  g_active->fill(buf, static_cast<std::size_t>(num));
  return 1;
}
// Seeding and entropy input are ignored on purpose: the output depends on the seed only.
int seeded_seed(const void*, int) { return 1; }
int seeded_add(const void*, int, double) { return 1; }
int seeded_status() { return 1; }

const RAND_METHOD kSeededMethod = {
    seeded_seed, seeded_bytes, nullptr, seeded_add, seeded_bytes, seeded_status,
};

}  // namespace

SeededStream::SeededStream(ByteView seed) {
  std::uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(seed.data(), seed.size(), digest);
  for (std::size_t i = 0; i < key_.size(); ++i) {
    key_[i] = std::uint32_t{digest[4 * i]} | std::uint32_t{digest[4 * i + 1]} << 8 |
              std::uint32_t{digest[4 * i + 2]} << 16 | std::uint32_t{digest[4 * i + 3]} << 24;
  }
}

// One ChaCha20 block (RFC 8439) with a 64-bit counter and a zero nonce.
void SeededStream::refill() {
  std::array<std::uint32_t, 16> init = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
  std::copy(key_.begin(), key_.end(), init.begin() + 4);
  init[12] = static_cast<std::uint32_t>(counter_);
  init[13] = static_cast<std::uint32_t>(counter_ >> 32);
  ++counter_;
  std::array<std::uint32_t, 16> x = init;
  for (int i = 0; i < 10; ++i) {
    quarter_round(x[0], x[4], x[8], x[12]);
    quarter_round(x[1], x[5], x[9], x[13]);
    quarter_round(x[2], x[6], x[10], x[14]);
    quarter_round(x[3], x[7], x[11], x[15]);
    quarter_round(x[0], x[5], x[10], x[15]);
    quarter_round(x[1], x[6], x[11], x[12]);
    quarter_round(x[2], x[7], x[8], x[13]);
    quarter_round(x[3], x[4], x[9], x[14]);
  }
  for (std::size_t i = 0; i < 16; ++i) {
    std::uint32_t v = x[i] + init[i];
    for (std::size_t j = 0; j < 4; ++j) block_[4 * i + j] = static_cast<std::uint8_t>(v >> (8 * j));
  }
  used_ = 0;
}

void SeededStream::fill(std::uint8_t* out, std::size_t n) {
  drawn_ += n;
  while (n > 0) {
    if (used_ == block_.size()) refill();
    std::size_t take = std::min(n, block_.size() - used_);
    std::memcpy(out, block_.data() + used_, take);
    used_ += take;
    out += take;
    n -= take;
  }
}

SeededRandomGuard::SeededRandomGuard(ByteView seed) : stream_(seed) {
  if (g_active != nullptr) {
    outer_stream_ = g_active;
    g_active = &stream_;
    return;
  }
  previous_ = RAND_get_rand_method();
  g_active = &stream_;
  if (RAND_set_rand_method(&kSeededMethod) != 1) {
    g_active = nullptr;
    throw std::runtime_error("SeededRandomGuard: RAND_set_rand_method failed");
  }
}

SeededRandomGuard::~SeededRandomGuard() {
  if (outer_stream_ != nullptr) {
    g_active = outer_stream_;
    return;
  }
  RAND_set_rand_method(static_cast<const RAND_METHOD*>(previous_));
  g_active = nullptr;
}

}  // namespace mitmlab
