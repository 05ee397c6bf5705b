#include "sim/run-output.h"

#include <fstream>
#include <system_error>

#include "net/openssl.h"
#include "scanner/certificate-summary.h"

namespace mitmlab {
namespace {

namespace fs = std::filesystem;

// What a run writes; open() removes these so no stale file survives a rerun.
const char* const kOwnedFiles[] = {"summary.json",   "summary.txt",   "ground_truth.jsonl",
                                   "events.jsonl",   "scan.jsonl",    "trace.jsonl",
                                   "fetch.jsonl",    "fingerprints.jsonl", "keylog.txt",
                                   "report.md",      "report.html"};
const char* const kOwnedDirs[] = {"certs", "pcap", "plots"};

Status write_file(const fs::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return make_error("cannot write {}", path.string());
  f << text;
  f.close();
  if (!f) return make_error("error writing {}", path.string());
  return Ok{};
}

}  // namespace

Result<RunOutput> RunOutput::open(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("cannot create output directory {}: {}", dir.string(), ec.message());
  for (const char* name : kOwnedFiles) {
    fs::remove(dir / name, ec);
    if (ec) return make_error("cannot remove stale {}: {}", (dir / name).string(), ec.message());
  }
  for (const char* name : kOwnedDirs) {
    fs::remove_all(dir / name, ec);
    if (ec) return make_error("cannot remove stale {}: {}", (dir / name).string(), ec.message());
  }
  return RunOutput(dir);
}

Status RunOutput::write_json(const std::string& name, const nlohmann::json& value) const {
  return write_file(dir_ / name, value.dump(2) + "\n");
}

Status RunOutput::write_jsonl(const std::string& name, const std::vector<std::string>& lines) const {
  std::size_t size = 0;
  for (const std::string& line : lines) size += line.size() + 1;
  std::string text;
  text.reserve(size);
  for (const std::string& line : lines) {
    text += line;
    text += '\n';
  }
  return write_file(dir_ / name, text);
}

Status RunOutput::write_text(const std::string& name, const std::string& text) const {
  return write_file(dir_ / name, text);
}

void CertificateArchive::add(const std::vector<Bytes>& chain, const std::string& role,
                             nlohmann::json context) {
  if (chain.empty()) return;
  const auto& leaf = summary_of(chain.front());
  if (!leaf) return;  // a chain that does not parse is recorded by its job, not archived
  chains_.try_emplace(leaf->sha256, chain);
  context["role"] = role;
  context["leaf_sha256"] = leaf->sha256;
  context["subject"] = leaf->subject;
  context["issuer"] = leaf->issuer;
  context["file"] = leaf->sha256.substr(0, 16) + ".pem";
  std::string line = context.dump();
  if (indexed_.insert(line).second) index_.push_back(std::move(line));
}

const std::optional<CertificateSummary>& CertificateArchive::summary_of(const Bytes& der) const {
  auto [it, fresh] = summaries_.try_emplace(std::string(der.begin(), der.end()));
  if (fresh) it->second = summarize_certificate(der);
  return it->second;
}

std::string CertificateArchive::file_of(const Bytes& leaf_der) const {
  const auto& leaf = summary_of(leaf_der);
  if (!leaf || !chains_.contains(leaf->sha256)) return "";
  return leaf->sha256.substr(0, 16) + ".pem";
}

Status CertificateArchive::write(const RunOutput& out) const {
  std::error_code ec;
  const fs::path dir = out.dir() / "certs";
  fs::create_directories(dir, ec);
  if (ec) return make_error("cannot create {}: {}", dir.string(), ec.message());
  for (const auto& [sha, chain] : chains_) {
    std::string pem;
    for (const Bytes& der : chain) {
      const auto& s = summary_of(der);
      if (!s) continue;  // kept out of the PEM; the leaf parsed, so the file is not empty
      pem += "# subject: " + s->subject + "\n# issuer:  " + s->issuer + "\n";
      pem += certificate_der_to_pem(der);
    }
    if (Status s = write_file(dir / (sha.substr(0, 16) + ".pem"), pem); !s) return s;
  }
  return out.write_jsonl("certs/index.jsonl", index_);
}

}  // namespace mitmlab
