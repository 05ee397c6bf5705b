// What a scenario run produced, job by job, before it is written out (sim/run-report.h turns
// it into summary.json and the human summary; sim/scenario-run.cc fills it).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "interceptor/engine-counters.h"
#include "net/bytes.h"
#include "net/clock.h"
#include "net/ipv4-address.h"
#include "scanner/localizer.h"
#include "scanner/scan-record.h"
#include "sim/run-scoring.h"
#include "sim/scenario.h"

namespace mitmlab {

struct JobTiming {
  Timestamp started{};   // simulation time
  Timestamp finished{};
  bool completed = false;  // false: the simulation ended first
};

struct ScanJobResult {
  std::string name, vantage;
  Ipv4Address vantage_address;
  std::vector<std::string> snis;
  std::string control_sni;
  std::size_t hosts = 0;
  std::vector<ScanRecord> records;
  // Simulation time each record was completed (parallel to `records`; empty when not
  // recorded): the report compares it with the bumps' schedules.
  std::vector<Timestamp> record_times;
  // Ground truth given to score_scan: the bumps' hijacks of this vantage's flows during the job.
  std::vector<HijackedFlow> hijacks;
  ScanScore score;
  JobTiming timing;
};

struct TraceJobResult {
  std::string name, vantage, mode, sni, control_sni;
  Ipv4Address vantage_address;
  std::vector<TraceResult> results;
  std::vector<Timestamp> result_times;  // parallel to `results` (empty when not recorded)
  std::map<Ipv4Address, PathTruth> paths;  // ground truth, for the report
  std::vector<HijackedFlow> hijacks;       // ground truth given to score_trace
  TraceScore score;
  JobTiming timing;
};

struct FetchJobResult {
  std::string name, vantage, server, sni, path;
  Ipv4Address server_address;
  bool handshake_done = false;
  bool verified = false;        // the client's verification (it trusts the fake roots too)
  std::string status_line;      // "HTTP/1.1 200 OK"
  std::uint64_t body_bytes = 0;
  bool body_intact = false;     // the body is the server's deterministic one, byte for byte
  std::vector<Bytes> chain;     // as the client received it
  std::string error;
  bool truth_hijacked = false;  // a bump hijacked this flow (ground truth)
  JobTiming timing;
};

struct ObservedClientHello {
  Timestamp time{};
  std::string client;  // address:port as the server saw it
  std::string sni;
  std::string ja3, ja3_string, ja4;
  std::string tls_version;  // the hello's legacy_version, "0x0303"
};

struct FingerprintJobResult {
  std::string name, server;
  Ipv4Address server_address;
  std::vector<ObservedClientHello> hellos;
  JobTiming timing;
};

struct BumpResult {
  std::string name, a, b;  // the link's routers
  EngineCounters counters;
  std::size_t events = 0;
  Schedule schedule;  // the engine's, in scenario time (the report explains misses with it)
};

struct RunResults {
  std::string scenario;
  std::string description;  // the scenario's, for the report
  std::uint64_t seed = 0;
  std::time_t start = 0;
  double sim_seconds = 0;
  std::vector<ScanJobResult> scans;
  std::vector<TraceJobResult> traces;
  std::vector<FetchJobResult> fetches;
  std::vector<FingerprintJobResult> fingerprints;
  std::vector<BumpResult> bumps;
  std::vector<std::string> job_order;  // job names in scenario order
};

}  // namespace mitmlab
