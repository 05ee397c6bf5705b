#include "tests/support/run-results-sample.h"

#include <chrono>
#include <string>

namespace mitmlab::test {

using namespace std::chrono_literals;

RunResults run_results_sample(int shard) {
  const std::string net = "10.1." + std::to_string(shard) + ".";
  const Ipv4Address vantage(10, 0, 0, 1);
  const Ipv4Address second(10, 1, static_cast<std::uint8_t>(shard), 2);
  const Ipv4Address hop(92, 47, 151, 210);
  RunResults r;
  r.scenario = "sample";
  r.description = "every field";
  r.seed = 42;
  r.start = 1563703200;
  r.sim_seconds = 100 + shard;
  r.job_order = {"scan", "trace", "fingerprint", "fetch-a", "fetch-b"};

  ScanJobResult scan;
  scan.name = "scan";
  scan.vantage = "vps";
  scan.vantage_address = vantage;
  scan.snis = {"facebook.com"};
  scan.control_sni = "control.example";
  scan.hosts = 2;
  for (int i = 1; i <= 2; ++i) {
    ScanRecord rec;
    rec.address = net + std::to_string(i);
    rec.port = 443;
    rec.sni = "facebook.com";
    rec.control_sni = "control.example";
    rec.verdict = i == 2 ? Verdict::injected : Verdict::ok;
    rec.row = i;
    rec.untrusted = i == 2;
    rec.chains_differ = i == 2;
    rec.reason = "reason";
    rec.test_outcome = ProbeOutcome::alert;
    rec.test_alert = "bad_certificate";
    rec.leaf_subject = "CN=facebook.com";
    rec.leaf_issuer = "C=KZ, CN=Security Certificate";
    rec.leaf_sha256 = "ab" + std::to_string(i);
    rec.chain_length = 2;
    rec.version = 0x0303;
    rec.suite = "ECDHE-RSA-AES128-GCM-SHA256";
    rec.first_byte_ms = 3.25;
    rec.handshake_ms = 12.5;
    rec.control_outcome = ProbeOutcome::reset;
    rec.control_leaf_sha256 = "cd";
    rec.retries = 1;
    rec.control_retries = 2;
    rec.profile = "zgrab2-2019";
    rec.test_chain = {{1, 2, 3}, {4}};
    rec.control_chain = {{5}};
    if (i == 2) rec.attribution = Attribution{"qaznet-2019", true, "qaznet-2019 (real)", 1, "issuer", "C=KZ"};
    scan.records.push_back(rec);
  }
  scan.record_times = {1000ms, shard == 0 ? Timestamp(1500ms) : Timestamp(1250ms)};
  scan.hijacks = {{"box", 1400ms, vantage, 40000, second, 443, "facebook.com"}};
  scan.score = {2, 2, 1, 1, 1, 0, 0, 1.0, 1.0};
  scan.timing = {5ms, Timestamp(2000ms + std::chrono::milliseconds(shard)), true};
  r.scans.push_back(scan);

  TraceJobResult trace;
  trace.name = "trace";
  trace.vantage = "vps";
  trace.mode = "raw";
  trace.sni = "www.facebook.com";
  trace.control_sni = "control.example";
  trace.vantage_address = vantage;
  TraceResult t;
  t.host = {second.to_string(), 443};
  t.mode = TraceMode::raw;
  t.test = {"www.facebook.com", {{1, Ipv4Address(10, 0, 0, 254), false}, {2, std::nullopt, false}}, 3u, 40ms,
            "leaf", "issuer", "error"};
  t.control = {"", {{1, Ipv4Address(10, 0, 0, 254), false}, {5, second, true}}, 5u, 41ms, "leaf2", "issuer2", ""};
  t.injection_ttl = 3;
  t.server_ttl = 5;
  t.hop_before = hop;
  t.hops_before_server = 2;
  t.verdict = "injected-before-server";
  t.hops = t.control.hops;
  trace.results = {t};
  trace.result_times = {1800ms};
  trace.paths[second] = PathTruth{{hop, Ipv4Address(95, 56, 243, 92)}, {{"box", 2, hop, std::nullopt}}};
  trace.hijacks = scan.hijacks;
  trace.score = {1, 1, 1, {{3, 7}}, {{hop, std::nullopt, 4}}, 1, 1, 1.0};
  trace.timing = {1700ms, 1900ms, true};
  r.traces.push_back(trace);

  FetchJobResult fetch;
  fetch.name = shard == 0 ? "fetch-b" : "fetch-a";
  fetch.vantage = "vps";
  fetch.server = "bank";
  fetch.sni = "bank.kz";
  fetch.path = "/";
  fetch.server_address = second;
  fetch.handshake_done = true;
  fetch.verified = true;
  fetch.status_line = "HTTP/1.1 200 OK";
  fetch.body_bytes = 1234;
  fetch.body_intact = true;
  fetch.chain = {{9, 9}, {8}};
  fetch.error = "none";
  fetch.truth_hijacked = true;
  fetch.timing = {3s, 4s, true};
  r.fetches.push_back(fetch);

  if (shard == 0) {
    FingerprintJobResult fp;
    fp.name = "fingerprint";
    fp.server = "bank";
    fp.server_address = second;
    fp.hellos = {{2s, "10.0.0.9:5000", "bank.kz", "ja3-hash", "771,...", "t12d", "0x0303"}};
    fp.timing = {0s, 60s, true};
    r.fingerprints.push_back(fp);
  }

  BumpResult bump;
  bump.name = "box";
  bump.a = "r2";
  bump.b = "r3";
  bump.counters.flows_seen = 10 + static_cast<std::uint64_t>(shard);
  bump.counters.count_passthrough(PassReason::kNotTarget);
  for (int i = 1; i < 9; ++i) bump.counters.count_passthrough(PassReason::kNotTarget);
  bump.counters.flows_hijacked = 1;
  bump.counters.bytes_origin_to_client = 100;
  bump.events = 5;
  bump.schedule.active = std::vector<ScheduleInterval>{{0s, 10s}, {20s, 30s}};
  bump.schedule.calendar_origin = std::chrono::sys_time<std::chrono::nanoseconds>(1563703200s);
  r.bumps.push_back(bump);
  return r;
}

}  // namespace mitmlab::test
