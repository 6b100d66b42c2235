#pragma once
// ClientSink: how the director reaches one client stream, whatever front it came in on (a
// QUIC connswap.v1.Director/Generate call, an HTTP/SSE request). A front wraps its stream
// in a sink and hands it to DirectorService::open_stream(); the director then writes the
// stream's items to it and finishes it, and never learns which front it is. Items are
// connswap.v1.GenerateItem (Assigned, Token, Migrated, ResumeTicket, Done): a front that
// speaks another format translates them.

#include <cstddef>
#include <functional>
#include <string>

#include <connswap/v1/director.pb.h>

#include "base/error.h"
#include "rpc/status.h"

namespace connswap::services {

// Why a client stream went away without the director finishing it.
enum class ClientGone : std::uint8_t {
  kCancelled,       // the client cancelled or reset the stream; its connection lives
  kConnectionLost,  // the client's connection itself is gone (closed, timed out)
};

// The director's callbacks on a sink. Both run from the front's own events, never from
// inside a ClientSink call.
struct SinkCallbacks {
  std::function<void()> on_writable;        // after a kFlowControl write, room again
  std::function<void(ClientGone)> on_gone;  // at most once, never after finish()
};

class ClientSink {
 public:
  virtual ~ClientSink() = default;

  // Queues `item` for the client. kFlowControl: not taken, the sink is full (on_writable
  // follows when there is room); kClosed: the client is gone (on_gone follows or ran).
  virtual Result<void> write(const v1::GenerateItem& item) = 0;
  // Ends the stream with `status` after everything written. Clears the callbacks first:
  // no on_gone follows. Later calls do nothing.
  virtual void finish(const rpc::Status& status) = 0;
  // Installs (or, with empty functions, clears) the director's callbacks.
  virtual void set_callbacks(SinkCallbacks callbacks) = 0;
  // The client's address, for log lines ("" if unknown).
  virtual std::string peer() const = 0;
  // Bytes written and still held toward the client (the director's global buffer budget,
  // StreamLimits::max_buffered_bytes). A front that cannot tell returns 0.
  virtual std::size_t buffered_bytes() const { return 0; }
};

}  // namespace connswap::services
