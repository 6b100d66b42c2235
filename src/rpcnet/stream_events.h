#pragma once
// Feeding one QUIC connection's stream events to its rpc::Session: the mapping every
// binding of rpc to quic shares (rpcnet's Peer over net::Conn, the simulator's over a bare
// quic::Connection). Header-only and I/O-free, so a sans-IO binding can use it without
// linking src/net.

#include <variant>

#include "base/time.h"
#include "quic/event.h"
#include "rpc/session.h"

namespace connswap::rpcnet {

// Hands `event` to `session` if it is a stream event (data, opened, writable, reset,
// STOP_SENDING, streams available, closed) and returns true; false for connection-level
// events (handshake, close, path), which the binding handles itself.
// StreamClosed of a call still open: our side was finished for us, which (our FIN having
// not been sent) only an answered STOP_SENDING does. ngtcp2 0.12.1 reports that only when
// we next write (quic::StopSending), and a stream blocked on flow control never writes
// again: a call paused by its slow client would never learn its caller cancelled it.
inline bool deliver_stream_event(rpc::Session& session, quic::Event& event, Timestamp now) {
  if (auto* data = std::get_if<quic::StreamData>(&event)) {
    session.on_stream_data(data->id, data->data, data->fin, now);
  } else if (auto* opened = std::get_if<quic::StreamOpened>(&event)) {
    session.on_stream_opened(opened->id);
  } else if (auto* writable = std::get_if<quic::StreamWritable>(&event)) {
    session.on_stream_writable(writable->id);
  } else if (auto* reset = std::get_if<quic::StreamReset>(&event)) {
    session.on_stream_reset(reset->id, reset->app_error);
  } else if (auto* stop = std::get_if<quic::StopSending>(&event)) {
    session.on_stop_sending(stop->id, stop->app_error);
  } else if (auto* closed = std::get_if<quic::StreamClosed>(&event)) {
    session.on_stop_sending(closed->id, closed->app_error);  // no-op for a finished call
  } else if (std::holds_alternative<quic::StreamsAvailable>(event)) {
    session.on_streams_available(now);
  } else {
    return false;
  }
  return true;
}

}  // namespace connswap::rpcnet
