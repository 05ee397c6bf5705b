#include "interceptor/target-policy.h"

#include <algorithm>
#include <array>

#include <openssl/evp.h>

namespace mitmlab {

namespace {

SipHashKey derive_sample_key(std::string_view key) {
  // SHA-256 turns any string (a label, a number, a long passphrase) into the 128-bit key
  // SipHash wants, with no bias from short or similar keys.
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  SipHashKey out{};
  if (EVP_Digest(key.data(), key.size(), digest.data(), &length, EVP_sha256(), nullptr) == 1 && length >= out.size()) {
    std::copy_n(digest.begin(), out.size(), out.begin());
  }
  // EVP_Digest with a built-in digest fails only when the library cannot allocate; the
  // all-zero key then still gives reproducible (if unkeyed) decisions.
  return out;
}

void put_be(std::uint8_t*& p, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) *p++ = static_cast<std::uint8_t>(value >> (8 * i));
}

}  // namespace

std::string_view decision_name(const PolicyDecision& decision) {
  return decision.intercept ? std::string_view("intercept") : reason_name(decision.reason);
}

std::string normalize_sni(std::string_view sni) {
  std::string out(sni);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

TargetPolicy::TargetPolicy(const EngineConfig& config)
    : match_(config.match),
      ports_(config.ports),
      schedule_(config.schedule),
      sample_fraction_(config.sample_fraction),
      sample_key_(derive_sample_key(config.sample_key)) {
  // Normalised again here: an EngineConfig built in code need not have gone through the parser.
  for (const std::string& t : config.targets) targets_.insert(normalize_sni(t));
  std::sort(ports_.begin(), ports_.end());
}

bool TargetPolicy::port_selected(std::uint16_t server_port) const {
  return std::binary_search(ports_.begin(), ports_.end(), server_port);
}

bool TargetPolicy::is_target(std::string_view sni) const {
  const std::string name = normalize_sni(sni);
  if (targets_.contains(name)) return true;
  if (match_ != MatchMode::kSuffix) return false;
  // Suffix mode: try every parent domain, "a.b.google.com" → "b.google.com" → "google.com" → "com".
  for (std::size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
    if (targets_.contains(name.substr(dot + 1))) return true;
  }
  return false;
}

double TargetPolicy::sample_point(const FlowKey& flow) const {
  std::array<std::uint8_t, 12> message{};
  std::uint8_t* p = message.data();
  put_be(p, flow.client_addr, 4);
  put_be(p, flow.client_port, 2);
  put_be(p, flow.server_addr, 4);
  put_be(p, flow.server_port, 2);
  const std::uint64_t h = siphash24(sample_key_, message);
  // 53 bits fill a double's mantissa exactly, so every value is representable and < 1.
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

PolicyDecision TargetPolicy::decide(const FlowKey& flow, std::optional<std::string_view> sni, Timestamp now) const {
  if (!port_selected(flow.server_port)) return PolicyDecision::pass(PassReason::kPort);
  if (!active_at(now)) return PolicyDecision::pass(PassReason::kScheduleOff);
  if (!sni) return PolicyDecision::pass(PassReason::kNoSni);
  if (!is_target(*sni)) return PolicyDecision::pass(PassReason::kNotTarget);
  if (!sampled(flow)) return PolicyDecision::pass(PassReason::kNotSampled);
  return PolicyDecision::intercept_flow();
}

}  // namespace mitmlab
