#pragma once
// The worker's token-source seam: where a stream's tokens come from. The synthetic source
// (synthetic_source.h: pacing + Generator) is one implementation; a model server client is
// another. Sans-IO and asynchronous-capable: the service polls a TokenStream when its
// deadline() passes or when the stream's Notify says it may have something; it never
// polls in a loop. Failure injection (FailurePlan) is not a source's job: WorkerStream
// applies it around any source (worker_stream.h).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/error.h"
#include "base/generate.h"
#include "base/time.h"

namespace connswap::worker {

// Token `seq` with its text.
struct TokenItem {
  std::uint64_t seq = 0;
  std::string text;
};

// Why a stream failed. Every cause ends the call with an in-band Error item and an
// UNAVAILABLE trailer (the director migrates the stream); the cause is for logs and stats.
enum class ErrorCause : std::uint8_t {
  kInjected,     // the worker's FailurePlan (simulated failure)
  kUnavailable,  // the source cannot serve now: unreachable, overloaded, shutting down
  kTimeout,      // the source stopped producing within its own time limit
  kProtocol,     // the source answered something malformed or out of sequence
  kRejected,     // the source refused this request (bad parameters, prompt too long)
  kOverloaded,   // the source is busy (HTTP 429/503): before the first token the service
                 // refuses the call (UNAVAILABLE, no Error item) so the director places it
                 // elsewhere; after it, a failure like kUnavailable
  kInternal,     // a bug or an impossible state in the source
};
std::string_view to_string(ErrorCause cause);

// In-band error; the stream ends after it.
struct ErrorItem {
  ErrorCause cause = ErrorCause::kInternal;
  std::string message;
};

// Why a stream ended normally.
enum class FinishReason : std::uint8_t {
  kLength,  // the request's max_tokens was reached
  kStop,    // the source ended the stream earlier (a model's stop condition)
};
std::string_view to_string(FinishReason reason);

// Normal end; `tokens` is how many tokens this attempt emitted.
struct DoneItem {
  std::uint64_t tokens = 0;
  FinishReason reason = FinishReason::kLength;
  std::uint64_t prompt_tokens = 0;  // the prompt's length in the source's tokens (0: unknown)
};
using WorkerItem = std::variant<TokenItem, ErrorItem, DoneItem>;

// Tells the service that a stream's poll() may now return an item. Set by the service when
// the stream starts; call it on the service's thread, at any time (also from inside
// poll()), never after the stream was cancelled or destroyed. Cheap: it only marks the
// stream due; the service polls on its next turn.
using Notify = std::function<void()>;

// One stream's tokens: request.start_seq, start_seq + 1, ..., then Done, or an Error at
// any point. Sequence numbers must be consecutive (WorkerStream turns a gap into an Error).
class TokenStream {
 public:
  virtual ~TokenStream() = default;
  // The next item if one is ready at `now`, else nullopt. After Done or Error, or after
  // cancel(), it returns nullopt forever. Never blocks.
  virtual std::optional<WorkerItem> poll(Timestamp now) = 0;
  // When poll() next has something: a value <= now means "poll now" (more is ready);
  // kNever means it waits for an external event (its Notify fires) or it has finished.
  virtual Timestamp deadline() const = 0;
  // The service wants no more items (the caller went, the worker fails or stops): release
  // what the stream holds (abort the model request). Idempotent; Notify is not called after.
  virtual void cancel() = 0;
};

// What a source needs to start one stream.
struct StreamStart {
  GenerateRequest request;  // request.start_seq is the first token to produce
  // The tokens the director delivered before start_seq, oldest first: the whole answer
  // so far (seq 1..start_seq-1) when prefix.size() == start_seq - 1, else only the last
  // ones (the director keeps a bounded prefix). A source keeps what it needs.
  std::vector<std::string> prefix;
  Timestamp now = 0;
};

// Starts streams. Owned by the WorkerService; every stream it started is destroyed before
// it. Not thread-safe.
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // Starts a stream; `notify` (never null) wakes the service for this stream. An error
  // (the source is unavailable or at capacity) refuses the call with UNAVAILABLE.
  virtual Result<std::unique_ptr<TokenStream>> start(StreamStart start, Notify notify) = 0;
  // False while the source cannot serve new streams (its model server failed a health
  // probe): the worker reports available=false and refuses new calls.
  virtual bool available() const { return true; }
};

}  // namespace connswap::worker
