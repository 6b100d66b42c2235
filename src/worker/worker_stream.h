#pragma once
// One stream served by a worker: any source's TokenStream with the worker's failure plan
// applied around it, sans-IO. The service polls it at deadline() (or when the source's
// Notify fired) and writes each returned item to the RPC stream.
//
// Why failure injection lives here and not in a source: FailurePlan simulates the worker
// failing (error, hang, crash), whatever produces its tokens, so the same plan must work
// over the synthetic source and over a model server. A source only reports its own
// failures (ErrorItem with its cause).

#include <cstdint>
#include <memory>
#include <optional>

#include "base/time.h"
#include "worker/failure_plan.h"
#include "worker/token_source.h"

namespace connswap::worker {

// Owns the source's stream; checks that its tokens are consecutive from `start_seq`.
class WorkerStream {
 public:
  WorkerStream(std::unique_ptr<TokenStream> source, std::uint64_t start_seq);
  ~WorkerStream();
  WorkerStream(WorkerStream&&) noexcept = default;
  WorkerStream& operator=(WorkerStream&&) noexcept = delete;

  // The next item at `now` given the worker's failure action, or nullopt (nothing ready,
  // hung, or finished). kError cancels the source and returns ErrorItem{kInjected}; kHang
  // cancels it and the stream says nothing more; kCrash returns nullopt (the binding exits).
  // A token out of sequence becomes ErrorItem{kProtocol}. After Error or Done: finished.
  std::optional<WorkerItem> poll(Timestamp now, FailureAction action);

  // The source's deadline(); kNever when finished or hung.
  Timestamp deadline() const;
  bool finished() const { return finished_; }
  // Cancels the source's stream unless it ended; the stream is then finished. Idempotent;
  // the destructor calls it.
  void cancel();

 private:
  std::optional<WorkerItem> from_source(Timestamp now);  // poll() when serving

  std::unique_ptr<TokenStream> source_;
  std::uint64_t next_seq_;
  bool finished_ = false;
  bool hung_ = false;
};

}  // namespace connswap::worker
