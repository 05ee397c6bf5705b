#include "scanner/live/trace-loop.h"

#include <linux/icmp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace mitmlab {

using Clock = std::chrono::steady_clock;

void keep_icmp_errors_only(int raw_icmp_fd) {
  icmp_filter filter{};
  filter.data =
      ~((1u << ICMP_DEST_UNREACH) | (1u << ICMP_TIME_EXCEEDED) | (1u << ICMP_PARAMETERPROB));
  (void)setsockopt(raw_icmp_fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter);
}

TraceLoop::TraceLoop(Localizer& localizer, const LiveTraceOptions& options)
    : localizer_(localizer), options_(options) {}

TraceLoop::~TraceLoop() {
  if (epoll_ >= 0) ::close(epoll_);
}

Status TraceLoop::open() {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) return make_error("epoll_create1: {}", std::strerror(errno));
  start_ = last_progress_ = Clock::now();
  return Ok{};
}

Status TraceLoop::run(const std::function<void()>& perform,
                      const std::function<void(const epoll_event&)>& handle) {
  localizer_.start(now());
  std::array<epoll_event, 256> events;
  for (;;) {
    perform();
    if (deliver()) break;
    auto n = wait(events.data(), static_cast<int>(events.size()));
    if (!n) return n.error();
    for (int i = 0; i < *n; ++i) {
      handle(events[i]);
      perform();
    }
    tick();
  }
  perform();  // the last closes or RSTs
  return Ok{};
}

Timestamp TraceLoop::now() const {
  return std::chrono::duration_cast<Timestamp>(Clock::now() - start_);
}

std::chrono::nanoseconds TraceLoop::elapsed() const { return Clock::now() - start_; }

bool TraceLoop::deliver() {
  for (const TraceResult& r : localizer_.take_results()) {
    ++results_;
    if (options_.on_result) options_.on_result(r);
  }
  return localizer_.done();
}

Result<int> TraceLoop::wait(epoll_event* events, int capacity) {
  if (options_.stop && options_.stop->load()) return make_error("interrupted");
  int wait_ms = -1;
  if (auto t = localizer_.next_timeout()) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(*t - now()).count();
    wait_ms = static_cast<int>(std::clamp<long long>(left, 0, 60'000));
  }
  if (options_.on_progress) wait_ms = wait_ms < 0 ? 500 : std::min(wait_ms, 500);
  // A localizer waiting on nothing would be a bug; the minute cap keeps it from hanging.
  if (wait_ms < 0) wait_ms = 60'000;
  int n = epoll_wait(epoll_, events, capacity, wait_ms);
  if (n < 0 && errno != EINTR) return make_error("epoll_wait: {}", std::strerror(errno));
  if (options_.stop && options_.stop->load()) return make_error("interrupted");
  return std::max(n, 0);
}

void TraceLoop::tick() {
  if (auto t = localizer_.next_timeout(); t && *t <= now()) localizer_.on_timeout(now());
  if (options_.on_progress && Clock::now() - last_progress_ >= options_.progress_every) {
    options_.on_progress(results_);
    last_progress_ = Clock::now();
  }
}

}  // namespace mitmlab
