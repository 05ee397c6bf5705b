#include "interceptor/forge/key-cache.h"

#include <array>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <unistd.h>

namespace mitmlab {
namespace {

using DecoderCtxPtr = OpenSslPtr<OSSL_DECODER_CTX, OSSL_DECODER_CTX_free>;

constexpr std::string_view kMagicLine = "mitmlab key cache v1\n";
constexpr std::string_view kDigestPrefix = "sha256 ";
// A 4096-bit PKCS#8 PEM is about 3.3 KB: anything far larger is not ours, and is not read whole.
constexpr std::uintmax_t kMaxFileSize = 64 * 1024;

std::string sha256_hex(ByteView data) {
  std::array<std::uint8_t, SHA256_DIGEST_LENGTH> digest{};
  SHA256(data.data(), data.size(), digest.data());
  return to_hex(digest);
}

void put_be(Bytes& out, std::uint64_t v, int bytes) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// The stored digest covers the file's own name too, so a valid file copied under another
// name (another seed's key) is rejected like a corrupt one.
std::string file_digest(std::string_view file_name, std::string_view pem) {
  std::string input(file_name);
  input += '\n';
  input += pem;
  return sha256_hex(as_bytes(input));
}

// A decoder told the exact format, structure and key type: about 3.5 times faster than
// PEM_read_bio_PrivateKey, which tries every decoder OpenSSL has. No passphrase callback is
// set, so an encrypted key fails instead of prompting (a prompt would hang a simulation).
EvpPkeyPtr decode_rsa_pem(std::string_view pem) {
  EVP_PKEY* raw = nullptr;
  DecoderCtxPtr ctx(
      OSSL_DECODER_CTX_new_for_pkey(&raw, "PEM", "PrivateKeyInfo", "RSA", EVP_PKEY_KEYPAIR, nullptr, nullptr));
  if (!ctx) return nullptr;
  auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  std::size_t len = pem.size();
  const bool decoded = OSSL_DECODER_from_data(ctx.get(), &data, &len) == 1;
  EvpPkeyPtr key(raw);  // owns whatever the decoder produced, even after a failure
  if (!decoded) return nullptr;
  return key;
}

Result<std::string> private_key_pem(const EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return openssl_error("encoding the key as PEM failed");
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// Unique within this process and across processes (pid), for temporary file names.
std::string unique_suffix() {
  static std::atomic<std::uint64_t> next{0};
  return std::to_string(::getpid()) + "-" + std::to_string(next.fetch_add(1));
}

}  // namespace

std::string key_cache_file_name(ByteView seed, const RsaKeySpec& spec) {
  Bytes spec_bytes;
  put_be(spec_bytes, spec.bits, 4);
  put_be(spec_bytes, spec.public_exponent, 8);
  std::string input("mitmlab/key-cache/v1");
  input += '\0';
  input += kRsaKeyDerivationLabel;
  input += '\0';
  input += as_chars(spec_bytes);
  input += as_chars(seed);
  return sha256_hex(as_bytes(input)) + ".pem";
}

KeyCache::KeyCache(std::filesystem::path directory) : directory_(std::move(directory)) {}

std::filesystem::path KeyCache::path_for(ByteView seed, const RsaKeySpec& spec) const {
  if (!enabled()) return {};
  return directory_ / key_cache_file_name(seed, spec);
}

Result<EvpPkeyPtr> KeyCache::get(ByteView seed, const RsaKeySpec& spec) {
  // An unsupported spec is the caller's error whether or not a file happens to exist.
  if (auto ok = check_rsa_key_spec(spec); !ok) return ok.error();
  if (!enabled()) {
    ++misses_;
    return derive_rsa_key(seed, spec);
  }
  const auto path = path_for(seed, spec);
  EvpPkeyPtr loaded;
  switch (load(path, spec, loaded)) {
    case Load::kHit:
      ++hits_;
      return loaded;
    case Load::kAbsent:
      ++misses_;
      break;
    case Load::kCorrupt:
      ++corrupt_;
      break;
  }
  auto key = derive_rsa_key(seed, spec);
  if (key.ok()) store(path, key->get());
  return key;
}

KeyCache::Load KeyCache::load(const std::filesystem::path& path, const RsaKeySpec& spec, EvpPkeyPtr& out) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    // No file (or no directory yet, or the directory is unusable: store() reports that).
    if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) return Load::kAbsent;
    report(fmt::format("{}: cannot read ({}); derived again", path.string(), ec.message()));
    return Load::kCorrupt;
  }
  auto reject = [&](std::string_view why) {
    report(fmt::format("{}: {}; derived again", path.string(), why));
    return Load::kCorrupt;
  };
  if (size > kMaxFileSize) return reject("larger than any key file");
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return reject("read error");

  // Header: magic line, then "sha256 <hex>\n", then the PEM block the digest covers.
  std::string_view rest(text);
  if (!rest.starts_with(kMagicLine)) return reject("not a mitmlab key cache file");
  rest.remove_prefix(kMagicLine.size());
  if (!rest.starts_with(kDigestPrefix) || rest.size() < kDigestPrefix.size() + 65 ||
      rest[kDigestPrefix.size() + 64] != '\n') {
    return reject("missing digest line");
  }
  const std::string_view digest = rest.substr(kDigestPrefix.size(), 64);
  rest.remove_prefix(kDigestPrefix.size() + 65);
  if (file_digest(path.filename().string(), rest) != digest) {
    return reject("digest mismatch (corrupt, truncated, or stored under another name)");
  }

  auto key = decode_rsa_pem(rest);
  if (!key) return reject(openssl_error("not an unencrypted PEM RSA private key").message);
  // The name already binds the spec; this catches a valid file copied under a wrong name.
  BIGNUM* raw_e = nullptr;
  const bool rsa = EVP_PKEY_is_a(key.get(), "RSA") == 1;
  if (rsa) EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E, &raw_e);
  BignumPtr e(raw_e);
  if (!rsa || EVP_PKEY_get_bits(key.get()) != static_cast<int>(spec.bits) || !e ||
      !BN_is_word(e.get(), spec.public_exponent)) {
    return reject("key does not match the requested size and exponent");
  }
  out = std::move(key);
  return Load::kHit;
}

void KeyCache::store(const std::filesystem::path& path, const EVP_PKEY* key) {
  auto fail = [&](std::string_view why) {
    ++write_failures_;
    report(fmt::format("{}: not stored ({})", path.string(), why));
  };
  auto pem = private_key_pem(key);
  if (!pem.ok()) return fail(pem.message());
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec) return fail(ec.message());

  // No fsync: a file lost or emptied by a crash fails the digest check and is derived again.
  const auto temp = path.parent_path() / (path.filename().string() + ".tmp-" + unique_suffix());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << kMagicLine << kDigestPrefix << file_digest(path.filename().string(), *pem) << '\n' << *pem;
    out.close();
    if (!out) {
      std::filesystem::remove(temp, ec);
      return fail("writing the temporary file failed");
    }
  }
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    return fail(ec.message());
  }
}

void KeyCache::report(std::string problem) {
  std::lock_guard lock(problems_mutex_);
  // Bounded: a directory full of junk must not grow memory without limit between drains.
  if (problems_.size() < 1000) problems_.push_back(std::move(problem));
}

KeyCacheCounters KeyCache::counters() const {
  return KeyCacheCounters{hits_.load(), misses_.load(), corrupt_.load(), write_failures_.load()};
}

void KeyCache::absorb(const KeyCacheCounters& c, std::vector<std::string> problems) {
  hits_ += c.hits;
  misses_ += c.misses;
  corrupt_ += c.corrupt;
  write_failures_ += c.write_failures;
  std::lock_guard lock(problems_mutex_);
  for (std::string& p : problems) problems_.push_back(std::move(p));
}

std::vector<std::string> KeyCache::take_problems() {
  std::lock_guard lock(problems_mutex_);
  return std::exchange(problems_, {});
}

}  // namespace mitmlab
