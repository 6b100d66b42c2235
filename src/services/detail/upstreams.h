#pragma once
// Private to DirectorService: the director's calls to workers (one per router attempt), and
// the translation of how a call ended (rpc's typed EndCause, never its message) into the
// director core's AttemptEnd.

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include <connswap/v1/worker.pb.h>

#include "base/error.h"
#include "director/actions.h"
#include "director/director.h"
#include "rpc/client.h"
#include "rpc/status.h"
#include "services/director_service.h"

namespace connswap::services::detail {

using UpstreamCall = rpc::ClientCall<v1::WorkerGenerateRequest, v1::WorkerItem>;

// How a worker call ended without Done, from its rpc status.
director::AttemptEnd attempt_end(const rpc::Status& status);
// How starting a worker call failed, from the rpc layer's error.
director::AttemptEnd start_failure(const Error& error);

// Where the calls' items and ends go (DirectorService runs them through its action loop).
struct UpstreamHandlers {
  std::function<void(director::AttemptId, const v1::WorkerItem&)> on_item;
  std::function<void(director::AttemptId, const rpc::Status&)> on_end;
};

// Why an attempt could not start.
struct StartFailure {
  director::AttemptEnd end = director::AttemptEnd::kLocalFailure;
  std::string detail;
};

class Upstreams {
 public:
  // `connector` must outlive this.
  Upstreams(WorkerConnector& connector, UpstreamHandlers handlers);

  // Starts the worker call of `a` (paused when `paused`: the client is not reading), with
  // the client's connection id as metadata. On failure nothing is kept.
  Expected<void, StartFailure> start(const director::StartAttempt& a,
                                     const std::string& connection_id,
                                     bool paused,
                                     Timestamp now);
  // Forgets the attempt's call; resets it first when `cancel`. Unknown attempts: no-op.
  void forget(director::AttemptId attempt, bool cancel);
  bool contains(director::AttemptId attempt) const { return calls_.count(attempt) != 0; }
  // Pauses (or resumes) reading every call of `stream`. Resuming may deliver items at once.
  void set_paused(director::StreamKey stream, bool paused);
  // Resumes reading every call of `stream` for one batch of at most `max_bytes` message
  // bytes each (delivering items at once). True if a call is paused again after it (its
  // batch spent, or the stream blocked): call again on a later turn if still unblocked.
  bool resume_batch(director::StreamKey stream, std::size_t max_bytes);
  // Cancels every call (director stopping); no handler runs.
  void cancel_all();

 private:
  struct Upstream {
    UpstreamCall call;
    director::StreamKey stream = 0;
  };

  WorkerConnector& connector_;
  UpstreamHandlers handlers_;
  std::unordered_map<director::AttemptId, Upstream> calls_;
  std::unordered_map<director::StreamKey, std::vector<director::AttemptId>> by_stream_;
};

}  // namespace connswap::services::detail
