// The files of one run, written into its output directory (default results/<scenario>/).
// Every file is a pure function of the scenario and seed: JSON objects are written with
// sorted keys, lines in simulation order, no wall-clock value anywhere.
//
// Layout: summary.json, summary.txt (the human summary), ground_truth.jsonl, events.jsonl,
// scan.jsonl, trace.jsonl, fetch.jsonl, fingerprints.jsonl, certs/ (one PEM chain per
// distinct leaf, <first 16 hex of its SHA-256>.pem, and certs/index.jsonl saying who saw it
// where), with --pcap pcap/<node>-<device>.pcap, with --keylog keylog.txt (NSS format),
// report.md, report.html and plots/*.svg (sim/run-report-document.h).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/bytes.h"
#include "net/result.h"
#include "scanner/certificate-summary.h"

namespace mitmlab {

class RunOutput {
 public:
  // Creates the directory if needed and removes the files a previous run of this layout
  // left (so a run without --pcap leaves no stale pcap/). Other files are left alone.
  static Result<RunOutput> open(const std::filesystem::path& dir);
  // The same directory, opened again later in the run without removing anything (ns-3 has
  // written the pcaps into it meanwhile).
  static RunOutput reopen(const std::filesystem::path& dir) { return RunOutput(dir); }

  const std::filesystem::path& dir() const { return dir_; }
  Status write_json(const std::string& name, const nlohmann::json& value) const;
  // Lines already serialized, each without its newline.
  Status write_jsonl(const std::string& name, const std::vector<std::string>& lines) const;
  Status write_text(const std::string& name, const std::string& text) const;
  std::filesystem::path pcap_dir() const { return dir_ / "pcap"; }

 private:
  explicit RunOutput(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

// Chains seen during a run, deduplicated by leaf, for certs/.
class CertificateArchive {
 public:
  // `role` is "original" (a control probe's chain, or the origin's) or "test" (what the
  // test SNI drew: forged when intercepted); `context` says where it was seen.
  void add(const std::vector<Bytes>& chain, const std::string& role, nlohmann::json context);
  std::size_t distinct_leaves() const { return chains_.size(); }
  // The file name a leaf's chain is written under ("" if unknown).
  std::string file_of(const Bytes& leaf_der) const;
  Status write(const RunOutput& out) const;

 private:
  // Every scan record passes its chains through add(), and most of them are the same few
  // thousand certificates: parsing each once (OpenSSL 3.0 builds a decoder for every
  // public key it parses) keeps the archive off the run's profile.
  const std::optional<CertificateSummary>& summary_of(const Bytes& der) const;

  mutable std::unordered_map<std::string, std::optional<CertificateSummary>> summaries_;  // by DER
  std::map<std::string, std::vector<Bytes>> chains_;  // leaf sha256 hex -> chain
  std::vector<std::string> index_;  // certs/index.jsonl's lines, in first-seen order
  std::unordered_set<std::string> indexed_;  // dedupe identical index lines
};

}  // namespace mitmlab
