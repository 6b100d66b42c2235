#pragma once
// rpc::Session: the sans-IO RPC endpoint for one connection. It sees stream ids, bytes,
// FIN, resets and `now`; it acts on streams only through the StreamTransport it is given.
// Streams it opens carry its outgoing (client) calls; streams the peer opens carry incoming
// (server) calls, dispatched through a Registry. One loop turn, as done by the owner:
//
//   for each transport event: session.on_stream_*(...)   // may invoke call callbacks
//   timer.arm(session.deadline());  ...  session.on_timeout(now);
//
// Not thread-safe; one Session per connection, used from the connection's loop thread.

#include <cstddef>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/error.h"
#include "base/time.h"
#include "rpc/call.h"
#include "rpc/status.h"
#include "rpc/transport.h"
#include "wire/envelope.h"
#include "wire/frame.h"

namespace connswap::rpc {

class Registry;
namespace detail {
class Core;
}  // namespace detail

struct SessionConfig {
  std::size_t max_frame_size = wire::kDefaultMaxFrameSize;  // larger messages: RESOURCE_EXHAUSTED
  std::size_t send_high_water = std::size_t{1} << 20;       // per call; write() blocks at or above
};

// A new outgoing call.
struct CallOptions {
  std::string method;           // "pkg.Service/Method"
  Timestamp deadline = kNever;  // absolute, on the Session's clock; sent as a relative timeout
  wire::Metadata metadata;
};

// Callbacks of an outgoing call, installed before any event can reach it.
struct CallCallbacks {
  ReadFn on_read;  // response messages; the client side never receives nullopt
  DoneFn on_done;
  WritableFn on_writable;
};

class Session {
 public:
  // `registry` serves the peer's calls (nullptr: every incoming call gets UNIMPLEMENTED);
  // it and `transport` must outlive the Session.
  Session(StreamTransport& transport, const Registry* registry, SessionConfig config = {});
  // Ends every open call with UNAVAILABLE (their on_done runs), without touching streams.
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Stream events. on_stream_opened must precede the first data of a peer-opened stream;
  // events for streams the Session does not know are dropped (their bytes consumed).
  void on_stream_opened(StreamId id);
  void on_stream_data(StreamId id, ByteSpan data, bool fin, Timestamp now);
  void on_stream_reset(StreamId id, std::uint64_t code);  // peer's RESET_STREAM
  void on_stop_sending(StreamId id, std::uint64_t code);  // peer's STOP_SENDING
  void on_stream_writable(StreamId id);
  void on_streams_available(Timestamp now);  // open_stream() may succeed again
  // The connection is gone: every open call ends UNAVAILABLE; later starts fail.
  void on_connection_lost(std::string_view reason);

  // Earliest call deadline (kNever if none); call on_timeout() once now >= deadline().
  Timestamp deadline() const;
  void on_timeout(Timestamp now);

  // Starts an outgoing call. Never runs a callback synchronously. Fails with
  // kInvalidArgument (bad method or metadata), kUnavailable (session closed) or the
  // transport's open_stream() error other than kResourceExhausted (the call then waits).
  Result<Call> start_call(CallOptions options, CallCallbacks callbacks, Timestamp now);

  // Graceful local shutdown: resets every call's stream (code kStreamShuttingDown, seen by
  // the peer as UNAVAILABLE) and ends it locally with `why`; later starts fail.
  void close(const Status& why);

  std::size_t open_calls() const;

  // Who the peer is (Call::peer() of every call, present and future). Default: unknown,
  // not authenticated.
  void set_peer(PeerInfo peer);
  const PeerInfo& peer() const;

 private:
  // Shared only so that Call handles can hold a weak_ptr and detect a dead Session.
  std::shared_ptr<detail::Core> core_;
};

}  // namespace connswap::rpc
