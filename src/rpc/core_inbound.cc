// rpc::detail::Core: turning received stream bytes into header, messages, trailer and end
// of stream, and the error rules for bad input (docs/PROTOCOL.md §4).

#include <string>

#include "base/log.h"
#include "rpc/detail/core.h"
#include "rpc/registry.h"
#include "wire/envelope.h"

namespace connswap::rpc::detail {
namespace {

// A server's HEADER is always processed; messages wait for an on_read callback.
bool needs_reader(const CallState& call) {
  return call.role == Role::kClient || call.header_seen;
}

Timestamp deadline_after(Timestamp now, std::uint64_t timeout_ms) {
  if (timeout_ms == 0) {
    return kNever;
  }
  const std::uint64_t max_ms = (kNever - 1 - now) / kMillisecond;
  return timeout_ms >= max_ms ? kNever : now + timeout_ms * kMillisecond;
}

}  // namespace

bool Core::can_deliver(const CallState& call) const {
  return !call.done && (!needs_reader(call) || (call.on_read && !call.paused));
}

void Core::drain(CallState& call) {
  if (call.draining) {
    return;  // a callback of this call resumed reading: the outer loop carries on
  }
  call.draining = true;
  while (can_deliver(call)) {
    auto frame = call.decoder.next();
    if (!frame) {
      const auto code = frame.error() == wire::FrameError::kOversized
                            ? StatusCode::kResourceExhausted
                            : StatusCode::kInvalidArgument;
      fail_inbound(call, code, std::string(wire::to_string(frame.error())));
      break;
    }
    if (!*frame) {
      if (call.peer_fin) {
        handle_end_of_stream(call);
      }
      break;
    }
    handle_frame(call, **frame);
  }
  call.draining = false;
  return_credit(call);
}

void Core::return_credit(CallState& call) {
  // Held-back complete frames keep their credit so a paused reader slows the peer down.
  // Bytes of a partial frame are credited at once, or a frame larger than the flow
  // window could never complete.
  if (call.done || call.unconsumed == 0 || call.decoder.ready()) {
    return;
  }
  transport_.consume(call.stream, call.unconsumed);
  call.unconsumed = 0;
}

void Core::handle_frame(CallState& call, const wire::Frame& frame) {
  using wire::FrameKind;
  if (call.role == Role::kServer && !call.header_seen) {
    if (frame.kind != FrameKind::kHeader) {
      fail_inbound(call, StatusCode::kInvalidArgument, "first frame is not a call header");
      return;
    }
    handle_server_header(call, frame.body);
    return;
  }
  if (frame.kind == FrameKind::kMessage) {
    spend_read_budget(call, frame.body.size());
    deliver(call, frame.body);
  } else if (call.role == Role::kClient && frame.kind == FrameKind::kTrailer) {
    handle_trailer(call, frame.body);
  } else {
    fail_inbound(call,
                 StatusCode::kInvalidArgument,
                 "unexpected " + std::string(wire::to_string(frame.kind)) + " frame");
  }
}

void Core::handle_server_header(CallState& call, ByteSpan body) {
  auto header = wire::decode_call_header(body);
  if (!header) {
    fail_inbound(call, StatusCode::kInvalidArgument, header.error().detail);
    return;
  }
  call.header_seen = true;
  call.header = std::move(*header);
  const MethodEntry* method = registry_ ? registry_->find(call.header.method) : nullptr;
  if (method == nullptr) {
    log::get("rpc").debug("stream={} method={}: unimplemented", call.stream, call.header.method);
    send_trailer(call, {StatusCode::kUnimplemented, "unknown method " + call.header.method});
    complete(call, {StatusCode::kUnimplemented, "unknown method"});
    return;
  }
  call.deadline = deadline_after(now_, call.header.timeout_ms);
  if (call.deadline != kNever) {
    deadlines_.emplace(call.deadline, call.id);
  }
  method->start(Call(weak_from_this(), call.id));
}

void Core::handle_trailer(CallState& call, ByteSpan body) {
  auto trailer = wire::decode_trailer(body);
  if (!trailer) {
    fail_inbound(call, StatusCode::kInternal, trailer.error().detail);
    return;
  }
  if (!call.send_closed) {
    // The server is done; whatever we still meant to send is moot.
    transport_.reset_stream(call.stream, kStreamNoError);
    call.send_closed = true;
  }
  call.peer_fin = true;  // anything after the trailer is ignored
  complete(call, {status_code_from_wire(trailer->code), std::move(trailer->message)});
}

void Core::handle_end_of_stream(CallState& call) {
  if (auto end = call.decoder.finish(); !end) {
    fail_inbound(call, StatusCode::kInvalidArgument, std::string(wire::to_string(end.error())));
  } else if (call.role == Role::kClient) {
    fail_inbound(call, StatusCode::kInternal, "stream ended without a status");
  } else if (!call.header_seen) {
    fail_inbound(call, StatusCode::kInvalidArgument, "stream ended before the call header");
  } else if (!call.eos_delivered) {
    call.eos_delivered = true;
    deliver(call, std::nullopt);
  }
}

// resume_reading(max_bytes): the message that reaches the budget is the batch's last; the
// call pauses again before the next frame (its callback may still pause or resume it).
void Core::spend_read_budget(CallState& call, std::size_t bytes) {
  if (call.read_budget == SIZE_MAX) {
    return;
  }
  if (bytes >= call.read_budget) {
    call.read_budget = SIZE_MAX;
    call.paused = true;
  } else {
    call.read_budget -= bytes;
  }
}

void Core::deliver(CallState& call, std::optional<ByteSpan> message) {
  // Move the callback out while it runs, so that it may replace or clear itself.
  ReadFn fn = std::move(call.on_read);
  call.on_read = nullptr;
  const bool decoded = fn(message);
  if (!call.on_read) {
    call.on_read = std::move(fn);
  }
  if (!decoded && message) {
    const bool server = call.role == Role::kServer;
    fail_inbound(call,
                 server ? StatusCode::kInvalidArgument : StatusCode::kInternal,
                 server ? "undecodable request message" : "undecodable response message");
  }
}

void Core::fail_inbound(CallState& call, StatusCode code, std::string why) {
  if (call.done) {
    return;
  }
  log::get("rpc").debug("stream={}: {} ({})", call.stream, why, to_string(code));
  Status status{code, std::move(why), EndCause::kProtocol};
  if (call.role == Role::kServer) {
    // The client broke the protocol on this stream only: answer with a trailer.
    send_trailer(call, status);
  } else {
    // The server broke it: a client never sends a status, so it abandons the stream.
    if (code == StatusCode::kInvalidArgument) {
      status.code = StatusCode::kInternal;
    }
    abort_stream(call, kStreamCancelled);
  }
  complete(call, status);
}

}  // namespace connswap::rpc::detail
