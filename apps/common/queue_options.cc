#include "common/queue_options.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/cli.h"

namespace connswap::app {

void add_queue_options(CLI::App& app, Role role, QueueArgs& a) {
  add_env_option(app,
                 role,
                 "--send-queue-bytes",
                 a.send_queue_bytes,
                 "bytes one USER call may hold unsent or unacknowledged before its producer "
                 "waits (tokens toward clients or the director: queueing delay at full load; "
                 "1024..67108864)");
  if (role == Role::kDirector) {
    add_env_option(app,
                   role,
                   "--worker-stream-window-bytes",
                   a.worker_stream_window,
                   "QUIC receive window per worker call: token bytes a worker may send ahead "
                   "of the director (1024..67108864)");
  }
}

Result<void> validate_queues(const QueueArgs& a) {
  if (a.send_queue_bytes < kMinSendQueueBytes || a.send_queue_bytes > kMaxSendQueueBytes) {
    return make_error(Errc::kInvalidArgument, "--send-queue-bytes: must be within 1024..67108864");
  }
  if (a.worker_stream_window < kMinStreamWindow || a.worker_stream_window > kMaxStreamWindow) {
    return make_error(Errc::kInvalidArgument,
                      "--worker-stream-window-bytes: must be within 1024..67108864");
  }
  return {};
}

std::string describe_queues(const QueueArgs& a, Role role) {
  if (role != Role::kDirector) {
    return fmt::format("send_queue_bytes={}", a.send_queue_bytes);
  }
  return fmt::format("send_queue_bytes={} worker_stream_window_bytes={}",
                     a.send_queue_bytes,
                     a.worker_stream_window);
}

void apply_send_queue(const QueueArgs& a, ServeLimits& limits) {
  limits.session.send_high_water = a.send_queue_bytes;
  limits.send_low_water = std::min(limits.send_low_water, a.send_queue_bytes / 2);
}

void apply_worker_window(const QueueArgs& a, quic::TransportSettings& transport) {
  transport.stream_window = a.worker_stream_window;
  transport.max_stream_window = a.worker_stream_window;
}

}  // namespace connswap::app
