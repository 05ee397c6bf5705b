// Every regular file under a directory, by path relative to it, with its bytes: what the
// run tests compare when they say "byte-identical results".
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace mitmlab::test {

std::map<std::string, std::string> snapshot_directory(const std::filesystem::path& dir);

}  // namespace mitmlab::test
