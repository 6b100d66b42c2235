// DirectorService's worker side: one rpc call per router attempt, and what its end means.

#include "services/detail/upstreams.h"

#include <algorithm>
#include <utility>

#include "services/common.h"
#include "services/convert.h"

namespace connswap::services::detail {

using director::AttemptEnd;
using director::AttemptId;

// docs/PROTOCOL.md §7.2. A worker that answers UNAVAILABLE refuses the stream (draining,
// recovering); any other end without Done is the worker abandoning it.
AttemptEnd attempt_end(const rpc::Status& status) {
  switch (status.cause) {
    case rpc::EndCause::kTrailer:
      return status.code == rpc::StatusCode::kUnavailable ? AttemptEnd::kWorkerRefused
                                                          : AttemptEnd::kWorkerAborted;
    case rpc::EndCause::kPeerReset:
    case rpc::EndCause::kPeerStopped:
    case rpc::EndCause::kProtocol:
      return AttemptEnd::kWorkerAborted;
    case rpc::EndCause::kConnectionLost:
      return AttemptEnd::kConnectionLost;
    case rpc::EndCause::kDeadline:
      return AttemptEnd::kDeadline;
    case rpc::EndCause::kLocal:
    case rpc::EndCause::kCancelled:
      return AttemptEnd::kLocalFailure;
  }
  return AttemptEnd::kLocalFailure;
}

// rpc::start_call_with: kUnavailable/kClosed when the session is closed; kResourceExhausted
// when the request does not fit a frame; kInvalidArgument for bad metadata (the client's
// connection id); anything else is ours.
AttemptEnd start_failure(const Error& error) {
  switch (error.code) {
    case Errc::kUnavailable:
    case Errc::kClosed:
    case Errc::kPeerGone:
    case Errc::kIo:
    case Errc::kTimeout:
      return AttemptEnd::kConnectionLost;
    case Errc::kResourceExhausted:
    case Errc::kInvalidArgument:
      return AttemptEnd::kRequestRejected;
    default:
      return AttemptEnd::kLocalFailure;
  }
}

Upstreams::Upstreams(WorkerConnector& connector, UpstreamHandlers handlers)
    : connector_(connector), handlers_(std::move(handlers)) {}

Expected<void, StartFailure> Upstreams::start(const director::StartAttempt& a,
                                              const std::string& connection_id,
                                              bool paused,
                                              Timestamp now) {
  auto session = connector_.connect(a.worker_addr, now);
  if (!session) {
    return Unexpected(StartFailure{AttemptEnd::kUnreachable, session.error().message()});
  }
  rpc::CallOptions options;
  options.method = std::string(kWorkerGenerate);
  if (!connection_id.empty()) {
    options.metadata[std::string(kConnectionIdKey)] = connection_id;
  }
  rpc::ClientCallbacks<v1::WorkerItem> callbacks;
  callbacks.on_message = [this, id = a.attempt](v1::WorkerItem&& item) {
    handlers_.on_item(id, item);
  };
  callbacks.on_done = [this, id = a.attempt](const rpc::Status& status) {
    handlers_.on_end(id, status);
  };
  const std::string body = encode_worker_request(a.request, a.prefix);
  auto call = rpc::start_call_with_body<v1::WorkerGenerateRequest, v1::WorkerItem>(
      **session, std::move(options), std::move(callbacks), as_bytes(body), now);
  if (!call) {
    return Unexpected(StartFailure{start_failure(call.error()), call.error().message()});
  }
  calls_[a.attempt] = Upstream{*call, a.stream};
  by_stream_[a.stream].push_back(a.attempt);
  if (paused) {
    call->raw().pause_reading();
  }
  return {};
}

void Upstreams::forget(AttemptId attempt, bool cancel) {
  auto it = calls_.find(attempt);
  if (it == calls_.end()) {
    return;
  }
  UpstreamCall call = it->second.call;
  if (auto s = by_stream_.find(it->second.stream); s != by_stream_.end()) {
    std::erase(s->second, attempt);
    if (s->second.empty()) {
      by_stream_.erase(s);
    }
  }
  calls_.erase(it);
  call.raw().on_done(nullptr);
  if (cancel) {
    call.cancel({rpc::StatusCode::kCancelled, "attempt cancelled by the director"});
  } else {
    // A read batch may have paused it on its last item (Done): no longer ours to resume,
    // so let it read its trailer and end.
    call.raw().resume_reading();
  }
}

void Upstreams::set_paused(director::StreamKey stream, bool paused) {
  auto s = by_stream_.find(stream);
  if (s == by_stream_.end()) {
    return;
  }
  std::vector<rpc::Call> calls;
  for (AttemptId id : s->second) {
    if (auto u = calls_.find(id); u != calls_.end()) {
      calls.push_back(u->second.call.raw());
    }
  }
  // Resuming may deliver items at once (re-entering the director): nothing of ours is
  // touched after this loop starts.
  for (rpc::Call& call : calls) {
    paused ? call.pause_reading() : call.resume_reading();
  }
}

bool Upstreams::resume_batch(director::StreamKey stream, std::size_t max_bytes) {
  auto s = by_stream_.find(stream);
  if (s == by_stream_.end()) {
    return false;
  }
  std::vector<rpc::Call> calls;
  for (AttemptId id : s->second) {
    if (auto u = calls_.find(id); u != calls_.end()) {
      calls.push_back(u->second.call.raw());
    }
  }
  // As in set_paused: delivery re-enters the director, so only the copied handles are used.
  for (rpc::Call& call : calls) {
    call.resume_reading(max_bytes);
  }
  return std::any_of(calls.begin(), calls.end(), [](const rpc::Call& call) {
    return !call.done() && call.reading_paused();
  });
}

void Upstreams::cancel_all() {
  auto calls = std::move(calls_);
  calls_.clear();
  by_stream_.clear();
  for (auto& [id, u] : calls) {
    u.call.raw().on_done(nullptr);
    u.call.cancel({rpc::StatusCode::kCancelled, "director stopping"});
  }
}

}  // namespace connswap::services::detail
