#pragma once
// rpc::ServerCall<Req, Resp>: the typed handle a handler receives. See rpc/registry.h for
// registration and rpc/call.h for the handle rules (copyable, may be kept, stale = kClosed).

#include <functional>
#include <optional>
#include <utility>

#include "rpc/call.h"
#include "rpc/message.h"

namespace connswap::rpc {

template <class Req, class Resp>
class ServerCall {
 public:
  ServerCall() = default;  // a handle to no call
  explicit ServerCall(Call call) : call_(std::move(call)) {}

  // Sends one response (see Call::write for kFlowControl / kResourceExhausted / kClosed).
  Result<void> write(const Resp& response) {
    return call_.write(as_bytes(serialize_message(response)));
  }
  // write(response), then finish with OK.
  Result<void> reply(const Resp& response) {
    CONNSWAP_TRY(write(response));
    return finish({});
  }
  // Sends the status trailer; the call ends.
  Result<void> finish(const Status& status) { return call_.finish(status); }
  void cancel(const Status& why = {StatusCode::kCancelled, "cancelled"}) { call_.cancel(why); }

  // Requests in order, then nullopt once the client half-closed. An undecodable request
  // ends the call with INVALID_ARGUMENT without reaching `fn`.
  void on_read(std::function<void(std::optional<Req>)> fn) {
    call_.on_read([fn = std::move(fn)](std::optional<ByteSpan> bytes) {
      if (!bytes) {
        fn(std::nullopt);
        return true;
      }
      Req request;
      if (!parse_message(*bytes, request)) {
        return false;
      }
      fn(std::move(request));
      return true;
    });
  }
  void on_done(DoneFn fn) { call_.on_done(std::move(fn)); }
  void on_writable(WritableFn fn) { call_.on_writable(std::move(fn)); }

  // Untyped access: metadata, deadline, pause/resume, queued bytes.
  Call& raw() { return call_; }
  const Call& raw() const { return call_; }

 private:
  Call call_;
};

// Unary and server-streaming handlers get the call and its single request.
template <class Req, class Resp>
using UnaryHandler = std::function<void(ServerCall<Req, Resp>, Req)>;
// Client-streaming and bidi handlers get the call and install on_read themselves.
template <class Req, class Resp>
using StreamingHandler = std::function<void(ServerCall<Req, Resp>)>;

}  // namespace connswap::rpc
