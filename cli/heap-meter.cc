// The global operator new / delete of the mitmlab binary (see heap-meter.h). Each block is
// malloc'd with a 16-byte header in front (16 keeps the default new alignment); the header
// holds the requested size and whether the block was counted. Costs one header per
// allocation in every subcommand, which is noise next to what mitmlab allocates.
#include "cli/heap-meter.h"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace mitmlab::cli {
namespace {

struct alignas(16) Header {
  std::size_t size;
  std::size_t counted;
};
static_assert(sizeof(Header) == 16);

thread_local int scope_depth = 0;
std::atomic<std::int64_t> live{0};
std::atomic<std::uint64_t> allocations{0};
std::atomic<std::int64_t> peak{0};

#if !defined(__SANITIZE_ADDRESS__)
void* allocate(std::size_t size) noexcept {
  auto* h = static_cast<Header*>(std::malloc(sizeof(Header) + (size == 0 ? 1 : size)));
  if (h == nullptr) return nullptr;
  h->size = size;
  h->counted = scope_depth > 0 ? 1 : 0;
  if (h->counted) {
    const std::int64_t now = live.fetch_add(static_cast<std::int64_t>(size), std::memory_order_relaxed) +
                             static_cast<std::int64_t>(size);
    // Peaks are taken inside the engine's calls too: a hello held and released within one
    // call still counts.
    std::int64_t seen = peak.load(std::memory_order_relaxed);
    while (now > seen && !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
    allocations.fetch_add(1, std::memory_order_relaxed);
  }
  return h + 1;
}

void* allocate_or_throw(std::size_t size) {
  void* p = allocate(size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void release(void* p) noexcept {
  if (p == nullptr) return;
  Header* h = static_cast<Header*>(p) - 1;
  if (h->counted) live.fetch_sub(static_cast<std::int64_t>(h->size), std::memory_order_relaxed);
  std::free(h);
}
#endif

}  // namespace

bool heap_meter_available() {
#if defined(__SANITIZE_ADDRESS__)
  return false;
#else
  return true;
#endif
}

HeapMeterReading heap_meter_reading() {
  return {live.load(std::memory_order_relaxed), allocations.load(std::memory_order_relaxed),
          peak.load(std::memory_order_relaxed)};
}

void reset_heap_meter_peak() { peak.store(live.load(std::memory_order_relaxed), std::memory_order_relaxed); }

HeapMeterScope::HeapMeterScope() { ++scope_depth; }
HeapMeterScope::~HeapMeterScope() { --scope_depth; }

}  // namespace mitmlab::cli

#if !defined(__SANITIZE_ADDRESS__)
void* operator new(std::size_t size) { return mitmlab::cli::allocate_or_throw(size); }
void* operator new[](std::size_t size) { return mitmlab::cli::allocate_or_throw(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return mitmlab::cli::allocate(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return mitmlab::cli::allocate(size); }
void operator delete(void* p) noexcept { mitmlab::cli::release(p); }
void operator delete[](void* p) noexcept { mitmlab::cli::release(p); }
void operator delete(void* p, std::size_t) noexcept { mitmlab::cli::release(p); }
void operator delete[](void* p, std::size_t) noexcept { mitmlab::cli::release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { mitmlab::cli::release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { mitmlab::cli::release(p); }
#endif
