#include "tests/support/run-mitmlab.h"

#include <cstdio>
#include <sys/wait.h>

namespace mitmlab::test {

CommandRun run_mitmlab(const std::string& args, Stderr err, const std::string& prefix) {
  const std::string command =
      (prefix.empty() ? "" : prefix + " ") + std::string(MITMLAB_BINARY) + " " + args + (err == Stderr::kMerge ? " 2>&1" : " 2>/dev/null");
  CommandRun run;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) run.output.append(buf, n);
  const int status = ::pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

}  // namespace mitmlab::test
