#pragma once
// rpc::Registry: the methods one listener serves (say USER or MGMT), with typed
// registration. Several registries may coexist in a process; each Session is given one.
// Handlers run when a call's header arrives and receive a call handle they may keep and
// answer later (reply/finish), even from other connections' events.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.h"
#include "rpc/call.h"
#include "rpc/server.h"

namespace connswap::rpc {

enum class CallShape : std::uint8_t { kUnary, kServerStreaming, kClientStreaming, kBidi };

// Called with the new call's handle once its header has been accepted.
using StartFn = std::function<void(Call)>;

struct MethodEntry {
  std::string name;
  CallShape shape = CallShape::kUnary;
  StartFn start;
};

class Registry {
 public:
  // Registers an untyped method. kInvalidArgument for a bad name or a duplicate.
  [[nodiscard]] Result<void> add(std::string method, CallShape shape, StartFn start);

  // The method, or nullptr. The pointer stays valid for the Registry's lifetime.
  const MethodEntry* find(std::string_view method) const;

  // One request, one response. The handler runs once the request and the client's FIN
  // have arrived; zero or several requests end the call with INVALID_ARGUMENT.
  template <class Req, class Resp>
  [[nodiscard]] Result<void> add_unary(std::string method, UnaryHandler<Req, Resp> handler) {
    return add_single_request<Req, Resp>(std::move(method), CallShape::kUnary, std::move(handler));
  }

  // One request, a stream of responses; same request rules as add_unary.
  template <class Req, class Resp>
  [[nodiscard]] Result<void> add_server_streaming(std::string method,
                                                  UnaryHandler<Req, Resp> handler) {
    return add_single_request<Req, Resp>(
        std::move(method), CallShape::kServerStreaming, std::move(handler));
  }

  // A stream of requests, one response. The handler installs on_read at once (nullopt
  // marks the end of the requests) and answers with reply() or finish().
  template <class Req, class Resp>
  [[nodiscard]] Result<void> add_client_streaming(std::string method,
                                                  StreamingHandler<Req, Resp> handler) {
    return add_streaming<Req, Resp>(
        std::move(method), CallShape::kClientStreaming, std::move(handler));
  }

  // Streams both ways, interleaved as the handler likes.
  template <class Req, class Resp>
  [[nodiscard]] Result<void> add_bidi(std::string method, StreamingHandler<Req, Resp> handler) {
    return add_streaming<Req, Resp>(std::move(method), CallShape::kBidi, std::move(handler));
  }

 private:
  template <class Req, class Resp>
  Result<void> add_single_request(std::string&& method,
                                  CallShape shape,
                                  UnaryHandler<Req, Resp> handler) {
    return add(std::move(method), shape, [handler = std::move(handler)](Call raw) {
      ServerCall<Req, Resp> call(raw);
      call.on_read(
          [call, handler, request = std::optional<Req>()](std::optional<Req> message) mutable {
            if (message && !request) {
              request = std::move(message);
            } else if (message || !request) {
              (void)call.finish({StatusCode::kInvalidArgument, "expected exactly one request"});
            } else {
              handler(call, std::move(*request));
            }
          });
    });
  }

  template <class Req, class Resp>
  Result<void> add_streaming(std::string&& method,
                             CallShape shape,
                             StreamingHandler<Req, Resp> handler) {
    return add(std::move(method), shape, [handler = std::move(handler)](Call raw) {
      handler(ServerCall<Req, Resp>(std::move(raw)));
    });
  }

  std::map<std::string, MethodEntry, std::less<>> methods_;
};

}  // namespace connswap::rpc
