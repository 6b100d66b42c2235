#pragma once
// The seam between the sans-IO RPC core and whatever carries its streams. The core calls
// these to act on streams; the owner feeds stream events back through rpc::Session's on_*
// methods. quic::Connection offers exactly these operations; tests use an in-memory fake.
//
// Contract for implementations:
// - Calls come only from inside Session methods, never re-entrantly into Session: an
//   implementation queues or buffers and must not call back into the Session from here.
// - send() buffers everything it accepts (the core bounds what it writes per stream with
//   send_buffered()); send_buffered() is what is accepted but not yet delivered/acked.
// - After send_buffered(id) has been >= the low-water mark, the owner reports
//   Session::on_stream_writable(id) when it falls below it. The low-water mark must not
//   exceed SessionConfig::send_high_water.
// - Flow credit: the core returns every byte it was given through consume(), possibly
//   later (a paused reader); the transport grants no credit on its own.
// - reset_stream()/stop_sending() may be called on a stream already shut in that
//   direction, and on a stream the peer already closed: both are then no-ops.

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "base/error.h"

namespace connswap::rpc {

using StreamId = std::int64_t;
inline constexpr StreamId kNoStream = -1;

class StreamTransport {
 public:
  virtual ~StreamTransport() = default;

  // Opens a bidirectional stream for a new outgoing call. kResourceExhausted means the
  // peer's stream limit is reached: the core retries on Session::on_streams_available().
  virtual Result<StreamId> open_stream() = 0;

  // Queues bytes on the stream; fin ends our sending direction. An error means the stream
  // can no longer send (the core ends the call).
  virtual Result<void> send(StreamId id, Bytes data, bool fin) = 0;

  // Bytes accepted by send() and still held by the transport.
  virtual std::size_t send_buffered(StreamId id) const = 0;

  // Returns flow credit for `bytes` bytes received on the stream.
  virtual void consume(StreamId id, std::size_t bytes) = 0;

  // RESET_STREAM: abandon our sending direction with an application error code.
  virtual void reset_stream(StreamId id, std::uint64_t code) = 0;

  // STOP_SENDING: ask the peer to abandon its sending direction.
  virtual void stop_sending(StreamId id, std::uint64_t code) = 0;
};

}  // namespace connswap::rpc
