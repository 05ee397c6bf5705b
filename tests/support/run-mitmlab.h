// Runs the built mitmlab binary (MITMLAB_BINARY) the way a user would, for CLI tests.
#pragma once

#include <string>

namespace mitmlab::test {

struct CommandRun {
  int status = -1;     // exit status; -1 if it did not exit normally or could not start
  std::string output;  // stdout, plus stderr when merged (a pipe: never a terminal)
};

enum class Stderr { kMerge, kDiscard };

// `prefix` goes before the binary, e.g. "ip netns exec NS" to run it in a namespace.
CommandRun run_mitmlab(const std::string& args, Stderr err = Stderr::kMerge,
                       const std::string& prefix = "");

}  // namespace mitmlab::test
