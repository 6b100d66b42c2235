// rpc::detail::Core: session-level events, deadlines and call start. Frame handling is in
// core_inbound.cc, stream actions and call completion in core_outbound.cc.

#include "rpc/detail/core.h"

#include "base/log.h"
#include "rpc/registry.h"

namespace connswap::rpc::detail {

Core::Scope::~Scope() {
  if (--core_.depth_ == 0) {
    core_.reap();
  }
}

Core::Core(StreamTransport& transport, const Registry* registry, SessionConfig config)
    : transport_(transport), registry_(registry), config_(config) {}

CallState* Core::find(CallId id) {
  auto it = calls_.find(id);
  return it == calls_.end() || it->second->done ? nullptr : it->second.get();
}

void Core::on_stream_opened(StreamId id) {
  if (closed_ || streams_.contains(id)) {
    return;
  }
  const CallId call_id = next_call_id_++;
  auto call = std::make_unique<CallState>(call_id, Role::kServer, config_.max_frame_size);
  call->stream = id;
  calls_.emplace(call_id, std::move(call));
  streams_.emplace(id, call_id);
}

void Core::on_stream_data(StreamId id, ByteSpan data, bool fin, Timestamp now) {
  Scope scope(*this);
  now_ = now;
  if (transport_gone_) {
    return;
  }
  auto it = streams_.find(id);
  if (it == streams_.end()) {
    // An ended call (or a stream never announced): drop, but keep connection credit flowing.
    if (!data.empty()) {
      transport_.consume(id, data.size());
    }
    return;
  }
  CallState& call = *calls_.at(it->second);
  call.decoder.push(data);
  call.unconsumed += data.size();
  call.peer_fin = call.peer_fin || fin;
  drain(call);
}

void Core::on_stream_reset(StreamId id, std::uint64_t code) {
  Scope scope(*this);
  auto it = streams_.find(id);
  if (it == streams_.end()) {
    return;
  }
  CallState& call = *calls_.at(it->second);
  log::get("rpc").debug("stream={} code={}: peer reset the call", id, code);
  call.peer_fin = true;  // nothing more will arrive; nothing to stop
  abort_stream(call, kStreamCancelled);
  complete(call, {status_from_stream_error(code), "stream reset by peer", EndCause::kPeerReset});
}

void Core::on_stop_sending(StreamId id, std::uint64_t code) {
  Scope scope(*this);
  auto it = streams_.find(id);
  if (it == streams_.end()) {
    return;
  }
  CallState& call = *calls_.at(it->second);
  // The transport answers STOP_SENDING with RESET_STREAM itself (RFC 9000 §3.5).
  call.send_closed = true;
  call.pending_out.clear();
  if (call.role == Role::kClient && code == kStreamNoError) {
    // The server has answered (or is answering) and reads no more: wait for the trailer.
    return;
  }
  abort_stream(call, kStreamCancelled);
  complete(call, {status_from_stream_error(code), "peer stopped reading", EndCause::kPeerStopped});
}

void Core::on_stream_writable(StreamId id) {
  Scope scope(*this);
  auto it = streams_.find(id);
  if (it != streams_.end()) {
    notify_writable(*calls_.at(it->second));
  }
}

void Core::on_streams_available(Timestamp now) {
  Scope scope(*this);
  now_ = now;
  while (!waiting_.empty() && !closed_) {
    CallState* call = find(waiting_.front());
    if (call == nullptr) {
      waiting_.pop_front();
      continue;
    }
    auto opened = try_open(*call, now);
    if (opened && call->stream == kNoStream) {
      return;  // still no stream credit: keep the queue order
    }
    waiting_.pop_front();
    if (!opened) {
      complete(*call,
               {StatusCode::kUnavailable, opened.error().message(), EndCause::kConnectionLost});
    }
  }
}

void Core::end_all(const Status& why, std::optional<std::uint64_t> reset_code) {
  Scope scope(*this);
  closed_ = true;
  transport_gone_ = transport_gone_ || !reset_code;
  std::vector<CallId> ids;
  ids.reserve(calls_.size());
  for (const auto& [id, call] : calls_) {
    ids.push_back(id);
  }
  for (CallId id : ids) {
    if (CallState* call = find(id)) {
      if (reset_code) {
        abort_stream(*call, *reset_code);
      }
      complete(*call, why);
    }
  }
  waiting_.clear();
}

Timestamp Core::deadline() const {
  return deadlines_.empty() ? kNever : deadlines_.begin()->first;
}

void Core::on_timeout(Timestamp now) {
  Scope scope(*this);
  now_ = now;
  std::vector<CallId> expired;
  for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= now; ++it) {
    expired.push_back(it->second);
  }
  for (CallId id : expired) {
    CallState* call = find(id);
    if (call == nullptr) {
      continue;
    }
    const Status status{StatusCode::kDeadlineExceeded, "deadline exceeded", EndCause::kDeadline};
    if (call->role == Role::kServer) {
      send_trailer(*call, status);  // the client learns why, if it is still listening
    } else {
      abort_stream(*call, kStreamCancelled);
    }
    complete(*call, status);
  }
}

Result<CallId> Core::start_call(CallOptions options, CallCallbacks callbacks, Timestamp now) {
  Scope scope(*this);
  now_ = now;
  if (closed_) {
    return make_error(Errc::kUnavailable, "session closed");
  }
  if (!wire::is_valid_method(options.method)) {
    return make_error(Errc::kInvalidArgument, "bad method name: " + options.method);
  }
  if (options.metadata.size() > wire::kMaxMetadataEntries) {
    return make_error(Errc::kInvalidArgument, "too many metadata entries");
  }
  const CallId id = next_call_id_++;
  auto owned = std::make_unique<CallState>(id, Role::kClient, config_.max_frame_size);
  CallState& call = *owned;
  call.header.method = std::move(options.method);
  call.header.metadata = std::move(options.metadata);
  call.deadline = options.deadline;
  call.on_read = std::move(callbacks.on_read);
  call.on_done = std::move(callbacks.on_done);
  call.on_writable = std::move(callbacks.on_writable);
  calls_.emplace(id, std::move(owned));
  if (call.deadline != kNever) {
    deadlines_.emplace(call.deadline, id);
  }
  if (!waiting_.empty()) {
    waiting_.push_back(id);  // keep FIFO order behind calls already waiting
    return id;
  }
  auto opened = try_open(call, now);
  if (!opened) {
    deadlines_.erase({call.deadline, id});
    calls_.erase(id);
    return Unexpected(std::move(opened).error());
  }
  if (call.stream == kNoStream) {
    waiting_.push_back(id);
  }
  return id;
}

}  // namespace connswap::rpc::detail
