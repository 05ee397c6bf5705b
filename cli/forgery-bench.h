// Full forgeries per second for `mitmlab bench forge`: cold (keys derived), warm key cache
// (keys loaded), and in-memory forgery cache hits.
#pragma once

#include <string>

namespace mitmlab::cli {

// Forges `count` distinct synthetic originals three times over and prints one row per pass.
// `cache_dir` empty: a temporary key cache directory, removed afterwards. False on error
// (printed on stderr).
bool bench_forgeries(unsigned count, const std::string& cache_dir);

}  // namespace mitmlab::cli
