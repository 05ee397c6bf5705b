// Counts the heap bytes allocated with C++ operator new while a HeapMeterScope is open on
// this thread, and how many of them are still live. The binary replaces the global
// operator new / delete (heap-meter.cc) so that every block carries a small header saying
// whether it was counted and how big it is: a block counted inside the engine and freed
// anywhere else (an outbound packet freed by the bump node) is still subtracted.
//
// What this sees: every operator new made by code running inside a scope (the engine's
// tables, flow states, held segments, TCP endpoints, buffers, the event log, its queues,
// std::shared_ptr control blocks). What it does not see: malloc, and so OpenSSL's own
// allocations (SSL, SSL_CTX, BIO, X509: OpenSSL allocates with CRYPTO_malloc -> malloc),
// which is exactly the exclusion `bench engine` wants. Aligned operator new (align_val_t)
// is not replaced and not counted; the engine does not use over-aligned types.
//
// In an AddressSanitizer build the replacement is left out (ASan's own operator new finds
// new/delete mismatches and overflows that a header in front of each block would hide):
// heap_meter_available() is false there and every reading is zero.
#pragma once

#include <cstdint>

namespace mitmlab::cli {

struct HeapMeterReading {
  std::int64_t live_bytes = 0;       // counted blocks not yet freed (requested sizes)
  std::uint64_t allocations = 0;     // counted operator new calls
  std::int64_t peak_live_bytes = 0;  // highest live_bytes since the last reset_heap_meter_peak()
};

bool heap_meter_available();
HeapMeterReading heap_meter_reading();
// Starts a new peak from the current live bytes.
void reset_heap_meter_peak();

// Counting is on for this thread while one is alive (nesting allowed).
class HeapMeterScope {
 public:
  HeapMeterScope();
  ~HeapMeterScope();
  HeapMeterScope(const HeapMeterScope&) = delete;
  HeapMeterScope& operator=(const HeapMeterScope&) = delete;
};

}  // namespace mitmlab::cli
