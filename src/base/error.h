#pragma once
// Typed errors for the data path: every fallible call returns Result<T>.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace connswap {

enum class Errc : std::uint8_t {
  kInvalidArgument,    // caller passed something unusable
  kProtocol,           // the peer broke the protocol (bad frame, bad packet)
  kTls,                // handshake or certificate failure
  kFlowControl,        // no credit to send now; try again when writable
  kIo,                 // socket or file error
  kTimeout,            // idle timeout, deadline
  kClosed,             // the connection or stream is gone
  kPeerGone,           // the peer is unreachable (ICMP unreachable, stateless reset)
  kResourceExhausted,  // a limit was hit (streams, buffer, frame size)
  kNotFound,
  kUnavailable,
  kInternal,
};

std::string_view to_string(Errc code);

struct Error {
  Errc code = Errc::kInternal;
  std::string detail;

  std::string message() const;  // "<code>: <detail>"
};

template <class T>
using Result = Expected<T, Error>;

inline Unexpected<Error> make_error(Errc code, std::string detail) {
  return Unexpected<Error>(Error{code, std::move(detail)});
}

}  // namespace connswap

// Propagate an error from a Result-returning expression; evaluates to nothing on success.
#define CONNSWAP_TRY(expr)                                                                  \
  do {                                                                                      \
    auto connswap_try_r_ = (expr);                                                          \
    if (!connswap_try_r_) {                                                                 \
      return ::connswap::Unexpected<::connswap::Error>(std::move(connswap_try_r_).error()); \
    }                                                                                       \
  } while (0)
