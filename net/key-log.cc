#include "net/key-log.h"

#include <utility>

namespace mitmlab {
namespace {

std::shared_ptr<KeyLogSink>& installed() {
  static std::shared_ptr<KeyLogSink> sink;
  return sink;
}

void forward(const SSL*, const char* line) {
  if (auto& sink = installed(); sink && line) sink->write_line(line);
}

}  // namespace

KeyLogInstallation::KeyLogInstallation(std::shared_ptr<KeyLogSink> sink)
    : previous_(std::exchange(installed(), std::move(sink))) {}

KeyLogInstallation::~KeyLogInstallation() { installed() = std::move(previous_); }

void attach_key_log(SSL_CTX* ctx) {
  if (ctx) SSL_CTX_set_keylog_callback(ctx, forward);
}

}  // namespace mitmlab
