// TransportSettings validation and CloseKind names.

#include "quic/settings.h"

#include "quic/event.h"

namespace connswap::quic {

Result<void> validate(const TransportSettings& s) {
  if (s.idle_timeout == 0) {
    return make_error(Errc::kInvalidArgument, "idle_timeout must be > 0");
  }
  if (s.keepalive != 0 && s.keepalive >= s.idle_timeout) {
    return make_error(Errc::kInvalidArgument, "keepalive must be shorter than idle_timeout");
  }
  if (s.stream_window == 0 || s.conn_window == 0) {
    return make_error(Errc::kInvalidArgument, "flow-control windows must be > 0");
  }
  if (s.max_stream_window < s.stream_window || s.max_conn_window < s.conn_window) {
    return make_error(Errc::kInvalidArgument, "max windows must be >= the initial windows");
  }
  // RFC 9000 §4.6: stream limits above 2^60 are invalid.
  if (s.max_streams_bidi > (std::uint64_t{1} << 60)) {
    return make_error(Errc::kInvalidArgument, "max_streams_bidi exceeds 2^60");
  }
  return {};
}

std::string_view to_string(CloseKind kind) {
  switch (kind) {
    case CloseKind::kLocal:
      return "local";
    case CloseKind::kPeerApplication:
      return "peer_application";
    case CloseKind::kPeerTransport:
      return "peer_transport";
    case CloseKind::kIdleTimeout:
      return "idle_timeout";
    case CloseKind::kHandshakeTimeout:
      return "handshake_timeout";
    case CloseKind::kHandshakeFailed:
      return "handshake_failed";
    case CloseKind::kStatelessReset:
      return "stateless_reset";
    case CloseKind::kPeerGone:
      return "peer_gone";
    case CloseKind::kProtocolError:
      return "protocol_error";
  }
  return "unknown";
}

}  // namespace connswap::quic
