#pragma once
// What a Connection reports to its owner, in order, through Connection::poll_event().

#include <cstdint>
#include <string>
#include <variant>

#include "base/bytes.h"
#include "base/error.h"
#include "quic/types.h"

namespace connswap::quic {

struct HandshakeCompleted {};
struct StreamOpened {  // the peer opened a bidi stream
  StreamId id;
};
struct StreamData {  // in-order bytes; the owner must call Connection::consume() for credit
  StreamId id;
  Bytes data;
  bool fin = false;
};
struct StreamReset {  // peer sent RESET_STREAM: no more data will arrive
  StreamId id;
  std::uint64_t app_error;
};
// The peer sent STOP_SENDING: it will not read what we send (our side is reset for us).
// ngtcp2 0.12.1 has no callback for it, so this is reported when we next try to write on
// the stream (send() data pending), with app_error kAppNoError (the code is not exposed); a
// stream whose both sides are finished reports StreamClosed instead.
struct StopSending {
  StreamId id;
  std::uint64_t app_error;
};
struct StreamClosed {  // both directions finished; the id will not be reported again
  StreamId id;
  std::uint64_t app_error;
};
struct StreamWritable {  // buffered send data fell below TransportSettings::send_low_water
  StreamId id;
};
struct StreamsAvailable {};  // the peer raised our stream limit: open_stream() may succeed
struct PathValidated {       // result of a migration (or of the peer's path change)
  Path path;
  bool ok;
};

enum class CloseKind : std::uint8_t {
  kLocal,            // we called close()
  kPeerApplication,  // peer sent an application CONNECTION_CLOSE
  kPeerTransport,    // peer sent a transport CONNECTION_CLOSE
  kIdleTimeout,
  kHandshakeTimeout,
  kHandshakeFailed,  // TLS / ALPN / certificate failure (ours or the peer's)
  kStatelessReset,   // peer sent a valid stateless reset
  kPeerGone,         // ICMP unreachable on a connected socket (Connection::on_peer_gone)
  kProtocolError,    // we detected a protocol violation
};

struct ConnectionClosed {
  CloseKind kind;
  std::uint64_t code = 0;  // transport or application error code, where there is one
  std::string reason;      // human readable
};

using Event = std::variant<HandshakeCompleted,
                           StreamOpened,
                           StreamData,
                           StreamReset,
                           StopSending,
                           StreamClosed,
                           StreamWritable,
                           StreamsAvailable,
                           PathValidated,
                           ConnectionClosed>;

std::string_view to_string(CloseKind kind);

}  // namespace connswap::quic
