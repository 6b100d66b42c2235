#pragma once
// One stream served by a worker: pacing + generation + simulated failure, sans-IO. The
// binding polls it at deadline() and writes each returned item to the RPC stream.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/generate.h"
#include "worker/failure_plan.h"
#include "worker/generator.h"
#include "worker/token_schedule.h"

namespace connswap::worker {

// Token `seq` with its text.
struct TokenItem {
  std::uint64_t seq = 0;
  std::string text;
};
// In-band error; the stream ends after it (the director migrates the stream).
struct ErrorItem {
  std::string message;
};
// Normal end; `tokens` is how many tokens this attempt emitted.
struct DoneItem {
  std::uint64_t tokens = 0;
};
using WorkerItem = std::variant<TokenItem, ErrorItem, DoneItem>;

// Serves req.start_seq..req.max_tokens. `prefix` is the director-supplied history before
// start_seq; the stream keeps the last `window` tokens as the generator's prefix.
class WorkerStream {
 public:
  WorkerStream(GenerateRequest req,
               std::vector<std::string> prefix,
               Duration interval,
               Timestamp now,
               std::size_t window = 256);

  // The next item due at `now` given the worker's failure action, or nullopt (nothing due,
  // hung, or finished). After an ErrorItem or DoneItem the stream is finished.
  std::optional<WorkerItem> poll(Timestamp now, FailureAction action, const Generator& gen);

  // When poll() next has something: kNever when finished or hung; a value <= now means
  // "poll again now" (unpaced, or Done pending).
  Timestamp deadline() const;
  bool finished() const { return finished_; }
  // The generator's prefix: the last `window` tokens before the next one.
  std::span<const std::string> prefix_view() const;

 private:
  GenerateRequest req_;
  std::vector<std::string> prefix_;  // grows to 2*window, then compacts (amortized O(1))
  std::size_t window_;
  TokenSchedule schedule_;
  bool finished_ = false;
  bool hung_ = false;
};

}  // namespace connswap::worker
