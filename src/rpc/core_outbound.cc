// rpc::detail::Core: what a call sends (open, header, messages, FIN, trailer, resets), the
// send-queue bound, and how a call ends.

#include <algorithm>

#include "base/check.h"
#include "base/log.h"
#include "rpc/detail/core.h"
#include "wire/envelope.h"

namespace connswap::rpc::detail {
namespace {

std::uint64_t timeout_ms_until(Timestamp deadline, Timestamp now) {
  if (deadline == kNever) {
    return 0;
  }
  // Round up, and never 0 (which means "no deadline"): an expiring call stays expiring.
  const Duration left = deadline > now ? deadline - now : 0;
  return std::max<std::uint64_t>(1, (left + kMillisecond - 1) / kMillisecond);
}

}  // namespace

Result<void> Core::try_open(CallState& call, Timestamp now) {
  auto id = transport_.open_stream();
  if (!id) {
    if (id.error().code == Errc::kResourceExhausted) {
      return {};  // stays kNoStream; retried on on_streams_available()
    }
    return Unexpected(std::move(id).error());
  }
  call.stream = *id;
  streams_.emplace(*id, call.id);
  flush_pending(call, now);
  return {};
}

void Core::flush_pending(CallState& call, Timestamp now) {
  call.header.timeout_ms = timeout_ms_until(call.deadline, now);
  Bytes out;
  // start_call validated method and metadata, so encoding cannot fail.
  const bool encoded = static_cast<bool>(wire::append_header_frame(out, call.header));
  CONNSWAP_CHECK(encoded, "validated call header failed to encode");
  out.insert(out.end(), call.pending_out.begin(), call.pending_out.end());
  call.pending_out = Bytes();
  if (auto sent = send(call, std::move(out), call.local_fin); !sent) {
    return;  // send() ended the call
  }
  notify_writable(call);
}

Result<void> Core::send(CallState& call, Bytes bytes, bool fin) {
  auto sent = transport_.send(call.stream, std::move(bytes), fin);
  if (!sent) {
    log::get("rpc").debug("stream={}: send failed: {}", call.stream, sent.error().message());
    abort_stream(call, kStreamInternal);
    // A transport that refuses bytes for an open stream has lost its connection.
    const Errc code = sent.error().code;
    const EndCause cause = code == Errc::kClosed || code == Errc::kPeerGone || code == Errc::kIo
                               ? EndCause::kConnectionLost
                               : EndCause::kLocal;
    complete(call,
             {StatusCode::kUnavailable, "stream send failed: " + sent.error().message(), cause});
  }
  return sent;
}

void Core::send_trailer(CallState& call, const Status& status) {
  if (!call.send_closed) {
    Bytes out;
    wire::append_trailer_frame(out, {static_cast<std::uint32_t>(status.code), status.message});
    call.send_closed = true;
    call.local_fin = true;
    (void)transport_.send(call.stream, std::move(out), true);  // nothing to do if it fails
  }
  if (!call.peer_fin) {
    // Answered: the rest of the request stream is not wanted (gRPC over HTTP/2 does the
    // same with RST_STREAM NO_ERROR).
    transport_.stop_sending(call.stream, kStreamNoError);
    call.peer_fin = true;
  }
}

void Core::abort_stream(CallState& call, std::uint64_t code) {
  if (call.stream == kNoStream) {
    call.send_closed = true;
    return;
  }
  if (!call.send_closed) {
    transport_.reset_stream(call.stream, code);
    call.send_closed = true;
  }
  if (!call.peer_fin) {
    transport_.stop_sending(call.stream, code);
    call.peer_fin = true;
  }
}

void Core::complete(CallState& call, const Status& status) {
  if (call.done) {
    return;
  }
  call.done = true;
  call.pending_out = Bytes();
  if (call.stream != kNoStream) {
    streams_.erase(call.stream);
    if (call.unconsumed > 0 && !transport_gone_) {
      transport_.consume(call.stream, call.unconsumed);  // every received byte is credited
      call.unconsumed = 0;
    }
  }
  if (call.deadline != kNever) {
    deadlines_.erase({call.deadline, call.id});
  }
  finished_.push_back(call.id);
  DoneFn fn = std::move(call.on_done);
  call.on_done = nullptr;
  call.on_read = nullptr;
  call.on_writable = nullptr;
  if (fn) {
    fn(status);
  }
}

void Core::notify_writable(CallState& call) {
  if (call.done || !call.want_writable || queued_bytes(call) >= config_.send_high_water) {
    return;
  }
  call.want_writable = false;
  if (call.on_writable) {
    WritableFn fn = call.on_writable;  // a copy: the callback may replace itself
    fn();
  }
}

void Core::reap() {
  // Destroying a call may destroy captured state that calls back into this Core, so
  // unlink everything first and destroy afterwards.
  std::vector<std::unique_ptr<CallState>> dead;
  while (!finished_.empty()) {
    std::vector<CallId> ids;
    ids.swap(finished_);
    for (CallId id : ids) {
      auto it = calls_.find(id);
      if (it != calls_.end()) {
        dead.push_back(std::move(it->second));
        calls_.erase(it);
      }
    }
  }
}

std::size_t Core::queued_bytes(const CallState& call) const {
  std::size_t queued = call.pending_out.size();
  if (call.stream != kNoStream && !call.done && !transport_gone_) {
    queued += transport_.send_buffered(call.stream);
  }
  return queued;
}

Result<void> Core::write(CallId id, ByteSpan message) {
  Scope scope(*this);
  CallState* call = find(id);
  if (call == nullptr || call->send_closed || (call->role == Role::kServer && !call->header_seen)) {
    return make_error(Errc::kClosed, "call cannot send");
  }
  if (message.size() > config_.max_frame_size) {
    return make_error(Errc::kResourceExhausted, "message exceeds the frame size limit");
  }
  if (queued_bytes(*call) >= config_.send_high_water) {
    call->want_writable = true;
    return make_error(Errc::kFlowControl, "send queue full");
  }
  if (call->stream == kNoStream) {
    wire::append_frame(call->pending_out, wire::FrameKind::kMessage, message);
    return {};
  }
  Bytes frame;
  wire::append_frame(frame, wire::FrameKind::kMessage, message);
  return send(*call, std::move(frame), false);
}

Result<void> Core::half_close(CallId id) {
  Scope scope(*this);
  CallState* call = find(id);
  if (call == nullptr || call->send_closed) {
    return make_error(Errc::kClosed, "call cannot send");
  }
  if (call->role != Role::kClient) {
    return make_error(Errc::kInvalidArgument, "half_close is for client calls; use finish");
  }
  call->local_fin = true;
  call->send_closed = true;
  if (call->stream == kNoStream) {
    return {};  // flush_pending() sends FIN with the header
  }
  return send(*call, Bytes(), true);
}

Result<void> Core::finish(CallId id, const Status& status) {
  Scope scope(*this);
  CallState* call = find(id);
  if (call == nullptr) {
    return make_error(Errc::kClosed, "call already ended");
  }
  if (call->role != Role::kServer) {
    return make_error(Errc::kInvalidArgument, "finish is for server calls; use half_close");
  }
  send_trailer(*call, status);
  complete(*call, status);
  return {};
}

void Core::cancel(CallId id, const Status& why) {
  Scope scope(*this);
  if (CallState* call = find(id)) {
    abort_stream(*call, kStreamCancelled);
    Status status = why;
    status.cause = EndCause::kCancelled;
    complete(*call, status);
  }
}

void Core::set_paused(CallId id, bool paused, std::size_t read_budget) {
  if (CallState* call = find(id)) {
    call->paused = paused;
    call->read_budget = paused ? SIZE_MAX : read_budget;
    if (!paused) {
      kick(id);
      // A budget covers this resume's delivery only; later data is read as usual.
      if (CallState* after = find(id)) {
        after->read_budget = SIZE_MAX;
      }
    }
  }
}

void Core::kick(CallId id) {
  Scope scope(*this);
  if (CallState* call = find(id); call != nullptr && call->stream != kNoStream) {
    drain(*call);
  }
}

}  // namespace connswap::rpc::detail
