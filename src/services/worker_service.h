#pragma once
// WorkerService: the worker's RPC binding. Serves connswap.v1.Worker/Generate (USER) from a
// worker::TokenSource (default: the synthetic source, paced by token_interval; 0: as fast as
// flow control allows) and connswap.v1.WorkerAdmin/Health (MGMT). It sees only the seam
// (worker/token_source.h): each call starts a TokenStream at the request's start_seq with
// the last prefix_window tokens of the director's prefix; the service polls a stream when
// its deadline() passes or its Notify fired, never in a loop, and cancels it when the call
// ends. A stream yields the loop after 256 items (deadline() is then now), so the network
// is flushed between batches. Applies the FailurePlan around every source (WorkerStream):
// kError ends live streams with an Error item + UNAVAILABLE trailer and refuses new ones for
// the recovery window; kHang stops all output (the RegistrationClient stops heartbeating:
// hung()); kCrash is reported through on_failure for the app to exit. Sans-IO.
//
// The owner must: construct it; add_user_methods()/add_mgmt_methods() on the USER/MGMT
// registries; after every loop turn arm a timer at deadline() and call on_timeout(now);
// call stop() before destroying the Sessions. Not thread-safe.

#include <cstdint>
#include <functional>
#include <memory>

#include "base/error.h"
#include "base/time.h"
#include "rpc/registry.h"
#include "services/common.h"
#include "worker/config.h"
#include "worker/failure_plan.h"
#include "worker/token_source.h"

namespace connswap::services {

// What the worker reports in heartbeats and Health.
struct WorkerStatus {
  std::uint32_t load = 0;  // streams being served
  bool available = true;   // accepts new streams (not draining, not failed)
  bool draining = false;
  bool hung = false;  // the failure plan says kHang: send nothing, not even heartbeats
};

struct WorkerServiceStats {
  std::uint64_t streams_accepted = 0;
  std::uint64_t streams_refused = 0;    // UNAVAILABLE: draining, recovering, source refused
  std::uint64_t streams_done = 0;       // ended with Done
  std::uint64_t streams_failed = 0;     // ended with an in-band Error
  std::uint64_t streams_cancelled = 0;  // the director cancelled (or the connection went)
  std::uint64_t tokens = 0;
  std::uint64_t write_blocks = 0;  // writes that hit the send queue's high-water mark
};

class WorkerService {
 public:
  // The plan starts at now() (fail_after counts from construction). `source` produces the
  // tokens; null means the synthetic source (DemoGenerator, config.token_interval,
  // config.prefix_window).
  WorkerService(const worker::WorkerConfig& config,
                NowFn now,
                std::unique_ptr<worker::TokenSource> source = nullptr);
  ~WorkerService();
  WorkerService(const WorkerService&) = delete;
  WorkerService& operator=(const WorkerService&) = delete;

  [[nodiscard]] Result<void> add_user_methods(rpc::Registry& user);  // Worker/Generate
  [[nodiscard]] Result<void> add_mgmt_methods(rpc::Registry& mgmt);  // WorkerAdmin/Health

  // Runs whenever the failure plan's action changes (kServe when recovered); the app exits
  // on kCrash. Called from on_timeout().
  void on_failure(std::function<void(worker::FailureAction)> fn);

  // Stops accepting streams (UNAVAILABLE) and keeps serving the current ones. The
  // RegistrationClient announces it to the director.
  void start_drain();

  Timestamp deadline() const;
  void on_timeout(Timestamp now);

  WorkerStatus status() const;
  WorkerServiceStats stats() const;
  // Cancels every stream; later calls are refused. Idempotent; the destructor calls it.
  void stop();

  class Impl;  // worker_service.cc

 private:
  // Shared only so that registry handlers, which may outlive the service, hold a weak_ptr.
  std::shared_ptr<Impl> impl_;
};

}  // namespace connswap::services
