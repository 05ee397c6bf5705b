#include "sim/link-impairment.h"

namespace mitmlab {

namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::uint64_t impairment_seed(std::uint64_t scenario_seed, std::string_view link_name) {
  // FNV-1a over the name, mixed with the seed: stable across platforms and runs.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : link_name) h = (h ^ c) * 0x100000001b3ULL;
  std::uint64_t state = scenario_seed ^ h;
  return splitmix64(state);
}

LinkImpairment::LinkImpairment(ImpairmentSpec spec, std::uint64_t seed, std::shared_ptr<PacketProcessor> inner)
    : spec_(spec), state_(seed), inner_(std::move(inner)) {}

double LinkImpairment::draw() { return static_cast<double>(splitmix64(state_) >> 11) * 0x1.0p-53; }

Disposition LinkImpairment::deliver(Timestamp now, LinkSide from, ByteView ipv4) {
  return inner_ ? inner_->on_packet(now, from, ipv4) : Disposition::kForward;
}

Disposition LinkImpairment::on_packet(Timestamp now, LinkSide from, ByteView ipv4) {
  ++counters_.packets;
  // Two draws per packet whatever happens, so one decision never shifts the next.
  const double lose = draw();
  const double hold = draw();
  if (lose < spec_.loss) {
    ++counters_.lost;
    return Disposition::kDrop;
  }
  if (hold < spec_.reorder) {
    ++counters_.reordered;
    held_.push_back(Held{now + spec_.reorder_delay, from, Bytes(ipv4.begin(), ipv4.end())});
    return Disposition::kDrop;
  }
  return deliver(now, from, ipv4);
}

std::optional<OutboundPacket> LinkImpairment::poll_transmit() {
  if (!out_.empty()) {
    OutboundPacket p = std::move(out_.front());
    out_.pop_front();
    return p;
  }
  return inner_ ? inner_->poll_transmit() : std::nullopt;
}

std::optional<Timestamp> LinkImpairment::next_timeout() const {
  std::optional<Timestamp> next = inner_ ? inner_->next_timeout() : std::nullopt;
  if (!held_.empty() && (!next || held_.front().due < *next)) next = held_.front().due;
  return next;
}

void LinkImpairment::on_timeout(Timestamp now) {
  while (!held_.empty() && held_.front().due <= now) {
    Held h = std::move(held_.front());
    held_.pop_front();
    if (deliver(now, h.from, ByteView(h.ipv4)) == Disposition::kForward) {
      out_.push_back(OutboundPacket{other_side(h.from), std::move(h.ipv4)});
    }
  }
  if (inner_) {
    std::optional<Timestamp> due = inner_->next_timeout();
    if (due && *due <= now) inner_->on_timeout(now);
  }
}

}  // namespace mitmlab
