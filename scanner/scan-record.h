// One line of a scan's output: the verdict for one (host, port, test SNI), with what it was
// based on. to_json() gives the JSON Lines object `mitmlab scan` writes.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "scanner/known-authorities.h"
#include "scanner/scan-verdict.h"
#include "scanner/tls-probe.h"

namespace mitmlab {

struct ScanRecord {
  std::string address;
  std::uint16_t port = 443;
  std::string sni;          // the test SNI
  std::string control_sni;  // "" = the control sent no SNI
  Verdict verdict = Verdict::control_failed;
  int row = 0;  // the decision-table row (scan-verdict.h)
  std::optional<Attribution> attribution;
  bool untrusted = false;
  bool chains_differ = false;
  std::string reason;
  // The last test attempt.
  ProbeOutcome test_outcome = ProbeOutcome::timeout;
  std::string test_alert;    // alert name, "" without one
  std::string leaf_subject;  // "" without a chain
  std::string leaf_issuer;
  std::string leaf_sha256;
  std::size_t chain_length = 0;
  std::uint16_t version = 0;
  std::string suite;
  // Test probe timings from the times the transport passed in (scanner/tls-probe.h).
  std::optional<double> connect_ms;     // connection start -> connected
  std::optional<double> first_byte_ms;  // connected -> first server byte
  std::optional<double> handshake_ms;   // connected -> done (ok only)
  // The last control attempt.
  ProbeOutcome control_outcome = ProbeOutcome::timeout;
  std::string control_leaf_sha256;
  unsigned retries = 0;          // test attempts beyond the first
  unsigned control_retries = 0;  // control attempts beyond the first
  std::string profile;           // the probe's hello profile
  // The chains as sent (DER, leaf first) by the last test and control attempts. Not part of
  // to_json(): the testbed writes them to certs/ and shows forged beside original.
  std::vector<Bytes> test_chain;
  std::vector<Bytes> control_chain;
};

// Fills the fields that come from the two probe results and the verdict.
ScanRecord make_scan_record(const std::string& address, std::uint16_t port,
                            const std::string& control_sni, const ProbeResult& control,
                            const std::string& sni, const ProbeResult& test,
                            const VerdictDetail& verdict);

nlohmann::json to_json(const ScanRecord& record);

// Domain discovery (facts.md §2: the 37 names were found by trying ~10,000 names against
// hosts already known to intercept): for each test SNI, the hosts where it was injected.
// Names that never triggered are present with an empty list.
std::map<std::string, std::vector<std::string>> injection_by_name(
    const std::vector<ScanRecord>& records);

}  // namespace mitmlab
