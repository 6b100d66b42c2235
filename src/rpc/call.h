#pragma once
// rpc::Call: an untyped handle to one call (client or server side), carrying message bytes.
// Typed wrappers (rpc/server.h, rpc/client.h) sit on top. A handle is cheap to copy and
// may be kept anywhere, e.g. by a handler that answers later from another connection's
// events. Once the call has ended, or its Session is gone, operations fail with kClosed
// and queries return neutral values: a stale handle is an error, never a dangling pointer.
//
// Callbacks run on the Session's thread, from inside Session methods or handle operations.
// They may call any handle or Session method, including ending this call.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/error.h"
#include "base/peer_roles.h"
#include "base/time.h"
#include "rpc/status.h"
#include "wire/envelope.h"

namespace connswap::rpc {

namespace detail {
class Core;
}  // namespace detail

using CallId = std::uint64_t;

// Who is at the other end of a Session, as its transport binding knows it (rpcnet sets it
// when the QUIC handshake completes). Handlers read it with Call::peer() to authorize.
struct PeerInfo {
  std::string address;         // printable peer address ("127.0.0.1:40000"); "" if unknown
  bool authenticated = false;  // the transport verified a certificate the peer presented
  RoleSet roles{};             // the roles that certificate grants (base/peer_roles.h)
  std::string fingerprint{};   // its SHA-256, lowercase hex: a stable identity; "" if none
  // The transport's printable id of this connection (the same for every call on it; for
  // QUIC the hex of the original destination connection id); "" if the transport has none.
  std::string connection{};
};

// One message body, or nullopt when the peer ended its messages (server side: the client
// half-closed). Return false if the message cannot be decoded: the call then fails
// (server: INVALID_ARGUMENT trailer; client: INTERNAL). The span is valid during the call.
using ReadFn = std::function<bool(std::optional<ByteSpan>)>;
// The call has ended with this status. Runs exactly once per call, for every way it ends.
using DoneFn = std::function<void(const Status&)>;
// A write() that failed with kFlowControl may now succeed.
using WritableFn = std::function<void()>;

class Call {
 public:
  Call() = default;  // a handle to no call
  Call(std::weak_ptr<detail::Core> core, CallId id) : core_(std::move(core)), id_(id) {}

  // Sends one message. Fails with kFlowControl when the send queue is at its high-water
  // mark (nothing was sent: retry after on_writable), kResourceExhausted when the message
  // exceeds the frame size limit, kClosed when this side can no longer send.
  Result<void> write(ByteSpan message);
  // Client: ends the request stream (FIN). Server: kInvalidArgument.
  Result<void> half_close();
  // Server: sends the status trailer and ends the call. Client: kInvalidArgument.
  Result<void> finish(const Status& status);
  // Abandons the call (RESET_STREAM + STOP_SENDING); the peer sees CANCELLED, the local
  // on_done sees `why`. No-op on an ended call.
  void cancel(const Status& why = {StatusCode::kCancelled, "cancelled"});

  // Reading: messages are delivered only while an on_read callback is set and reading is
  // not paused. While held back they keep their flow credit, so the peer is slowed down.
  void on_read(ReadFn fn);
  void on_done(DoneFn fn);
  void on_writable(WritableFn fn);
  void pause_reading();
  void resume_reading();
  // Resumes reading for one batch: held-back messages are delivered now until `max_bytes`
  // of message bodies (at least one message) went out; if more wait, reading pauses again
  // by itself (reading_paused()). Once resumed in full, later messages flow as usual.
  void resume_reading(std::size_t max_bytes);
  // Reading is paused (pause_reading(), or a resume_reading(max_bytes) batch was spent).
  bool reading_paused() const;

  bool done() const;                 // ended, or a handle to no call
  std::size_t queued_bytes() const;  // written but not yet taken by the transport's peer
  wire::CallHeader header() const;   // method, metadata; timeout_ms as received/sent
  Timestamp deadline() const;        // kNever when none
  PeerInfo peer() const;             // the Session's peer; empty for a handle to no Session
  CallId id() const { return id_; }

 private:
  std::weak_ptr<detail::Core> core_;
  CallId id_ = 0;
};

}  // namespace connswap::rpc
