#pragma once
// How much a stream may hold in flight on each hop (issue 15, "bounded queues end to end";
// docs/BENCHMARKS.md "Bounded queues"). A token waits in the sender's per-call send queue
// (rpc SessionConfig::send_high_water, counting what QUIC still holds unacknowledged) and
// in the receiver's per-stream QUIC window; at full unpaced load every byte of both is
// queueing delay. Flags of both programs: --send-queue-bytes (the USER port's calls:
// tokens toward the director, or toward clients); the director's --worker-stream-window-bytes
// (its connections to workers: the bytes of one worker call it accepts before reading them).

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.h"
#include "common/options.h"
#include "common/serve.h"
#include "quic/settings.h"

namespace CLI {
class App;
}  // namespace CLI

namespace connswap::app {

inline constexpr std::size_t kMinSendQueueBytes = 1'024;      // --send-queue-bytes bounds
inline constexpr std::size_t kMaxSendQueueBytes = 64U << 20;  // ...
inline constexpr std::uint64_t kMinStreamWindow = 1'024;      // --worker-stream-window-bytes
inline constexpr std::uint64_t kMaxStreamWindow = 64U << 20;  // ...

// Defaults (docs/BENCHMARKS.md "Bounded queues"): toward clients 16 KiB, which a client
// 100 ms away still drains at ~6,000 tokens/s per stream; between director and workers
// (a LAN, usually) 4 KiB each way.
inline constexpr std::size_t kWorkerSendQueueBytes = 4'096;

struct QueueArgs {
  std::size_t send_queue_bytes = 16U << 10;       // the worker's: kWorkerSendQueueBytes
  std::uint64_t worker_stream_window = 4U << 10;  // the director only
};

// Adds --send-queue-bytes, and for the director --worker-stream-window-bytes.
void add_queue_options(CLI::App& app, Role role, QueueArgs& args);

// kInvalidArgument naming the option when a value is outside its bounds.
Result<void> validate_queues(const QueueArgs& args);

// "send_queue_bytes=... worker_stream_window_bytes=..." for the startup line.
std::string describe_queues(const QueueArgs& args, Role role);

// Sets the USER port's per-call send queue, and QUIC's StreamWritable threshold under it
// (half the queue, at most the transport's default).
void apply_send_queue(const QueueArgs& args, ServeLimits& limits);

// The director's connections to workers: a fixed per-stream receive window (no auto-tuning
// past it) of --worker-stream-window-bytes.
void apply_worker_window(const QueueArgs& args, quic::TransportSettings& transport);

}  // namespace connswap::app
