#pragma once
// Typed outgoing calls over a Session: start_call<Req, Resp>() for every call shape, and
// call_unary() for the common one-request-one-response case.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include <google/protobuf/arena.h>

#include "base/expected.h"
#include "rpc/call.h"
#include "rpc/message.h"
#include "rpc/session.h"

namespace connswap::rpc {

// Stack bytes for parsing one response (larger ones spill to the heap).
inline constexpr std::size_t kParseArenaBlock = 1024;

template <class Resp>
struct ClientCallbacks {
  std::function<void(Resp&&)> on_message;  // each response, in order
  DoneFn on_done;                          // final status; runs exactly once
  WritableFn on_writable;                  // a write() that hit kFlowControl may retry
};

template <class Req, class Resp>
class ClientCall {
 public:
  ClientCall() = default;
  explicit ClientCall(Call call) : call_(std::move(call)) {}

  // Sends one request (see Call::write for kFlowControl / kResourceExhausted / kClosed).
  Result<void> write(const Req& request) {
    return call_.write(as_bytes(serialize_message(request)));
  }
  Result<void> half_close() { return call_.half_close(); }  // no more requests
  void cancel(const Status& why = {StatusCode::kCancelled, "cancelled"}) { call_.cancel(why); }

  // Untyped access: pause/resume reading, queued bytes, deadline, done().
  Call& raw() { return call_; }
  const Call& raw() const { return call_; }

 private:
  Call call_;
};

// Starts a call of any shape; write requests, then half_close(). A response that does not
// decode ends the call with INTERNAL. Errors as Session::start_call.
template <class Req, class Resp>
Result<ClientCall<Req, Resp>> start_call(Session& session,
                                         CallOptions options,
                                         ClientCallbacks<Resp> callbacks,
                                         Timestamp now) {
  CallCallbacks raw;
  raw.on_read = [fn = std::move(callbacks.on_message)](std::optional<ByteSpan> bytes) {
    // Parsed on an arena whose first block is on the stack: a small response (a streamed
    // token) costs no malloc/free for its sub-messages and strings. `fn` gets an rvalue it
    // may move from (across arenas that copies) but not keep a reference to.
    alignas(std::max_align_t) char block[kParseArenaBlock];
    google::protobuf::ArenaOptions arena_options;
    arena_options.initial_block = block;
    arena_options.initial_block_size = sizeof block;
    google::protobuf::Arena arena(arena_options);
    Resp* response = google::protobuf::Arena::CreateMessage<Resp>(&arena);
    if (!bytes || !parse_message(*bytes, *response)) {
      return false;
    }
    if (fn) {
      fn(std::move(*response));
    }
    return true;
  };
  raw.on_done = std::move(callbacks.on_done);
  raw.on_writable = std::move(callbacks.on_writable);
  auto call = session.start_call(std::move(options), std::move(raw), now);
  if (!call) {
    return Unexpected(std::move(call).error());
  }
  return ClientCall<Req, Resp>(std::move(*call));
}

// Starts a call, sends its one request, already serialized (`body`: a Req's encoding, e.g.
// built without a temporary message on a hot path), and half-closes (unary and
// server-streaming shapes). If any step fails the call is abandoned (its on_done never
// runs) and the error returned.
template <class Req, class Resp>
Result<ClientCall<Req, Resp>> start_call_with_body(Session& session,
                                                   CallOptions options,
                                                   ClientCallbacks<Resp> callbacks,
                                                   ByteSpan body,
                                                   Timestamp now) {
  auto call = start_call<Req, Resp>(session, std::move(options), std::move(callbacks), now);
  if (!call) {
    return call;
  }
  Result<void> sent = call->raw().write(body);
  if (sent) {
    sent = call->half_close();
  }
  if (!sent) {
    call->raw().on_done(nullptr);
    call->cancel();
    return Unexpected(std::move(sent).error());
  }
  return call;
}

// The same with the request as a message.
template <class Req, class Resp>
Result<ClientCall<Req, Resp>> start_call_with(Session& session,
                                              CallOptions options,
                                              ClientCallbacks<Resp> callbacks,
                                              const Req& request,
                                              Timestamp now) {
  const std::string body = serialize_message(request);
  return start_call_with_body<Req, Resp>(
      session, std::move(options), std::move(callbacks), as_bytes(body), now);
}

// The outcome of a unary call: the response, or the status it failed with.
template <class Resp>
using UnaryResult = Expected<Resp, Status>;

// One request, one response. On success `done` runs exactly once, later, from a Session
// event; if this returns an error the call is abandoned and `done` never runs. OK without
// a response, or a second response, is INTERNAL.
template <class Req, class Resp>
Result<ClientCall<Req, Resp>> call_unary(Session& session,
                                         CallOptions options,
                                         const Req& request,
                                         std::function<void(UnaryResult<Resp>)> done,
                                         Timestamp now) {
  // Shared by the message and done callbacks of this one call.
  auto response = std::make_shared<std::optional<Resp>>();
  auto call_slot = std::make_shared<Call>();
  ClientCallbacks<Resp> callbacks;
  callbacks.on_message = [response, call_slot](Resp&& message) {
    if (response->has_value()) {
      call_slot->cancel({StatusCode::kInternal, "unary call got a second response"});
      return;
    }
    *response = std::move(message);
  };
  callbacks.on_done = [response, done = std::move(done)](const Status& status) {
    if (!status.ok()) {
      done(Unexpected(status));
    } else if (!response->has_value()) {
      done(Unexpected(Status{StatusCode::kInternal, "unary call ended without a response"}));
    } else {
      done(std::move(**response));
    }
  };
  auto call =
      start_call_with<Req, Resp>(session, std::move(options), std::move(callbacks), request, now);
  if (call) {
    *call_slot = call->raw();  // responses arrive from later Session events only
  }
  return call;
}

}  // namespace connswap::rpc
