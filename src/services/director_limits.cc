// DirectorService: the per-client stream limits (issue 14 item 3, StreamLimits): the
// session book's stream and session caps refuse a stream at open, and a stream whose client
// stays blocked (not reading) past blocked_lifetime is ended so it frees its worker.

#include <string>

#include "base/log.h"
#include "services/detail/director_impl.h"

namespace connswap::services {

using director::StreamKey;

namespace {

spdlog::logger& logger() {
  return log::get("director");
}

}  // namespace

void DirectorService::Impl::set_stream_limits(const StreamLimits& limits) {
  limits_ = limits;
  migration::SessionConfig book;
  book.max_sessions = limits.max_sessions;
  book.max_streams_per_session = limits.max_streams_per_connection;
  sessions_ = migration::ConnectionSessionManager(book);
}

// Opens the stream in the session book. Its refusal (a limit reached) ends the stream
// RESOURCE_EXHAUSTED before any worker is chosen; any other error (the book's view of a
// replaced call) only loses the stream's listing, as before.
bool DirectorService::Impl::admit_to_book(ClientSink& sink,
                                          const std::string& connection_id,
                                          std::uint64_t stream_id) {
  const bool known = sessions_.find(connection_id) != nullptr;
  auto opened = sessions_.open_stream(connection_id, stream_id, now_());
  if (opened) {
    return true;
  }
  if (opened.error().code != migration::MigrationErrc::kResourceExhausted) {
    logger().debug("connection.id={} stream.id={} error=\"{}\": not in the session book",
                   connection_id,
                   stream_id,
                   opened.error().message());
    return true;
  }
  ++(known ? extra_.refused_streams_per_connection : extra_.refused_sessions);
  logger().warn("connection.id={} peer={} reason=\"{}\": ⛔ stream refused",
                connection_id,
                sink.peer(),
                opened.error().detail);
  sink.finish({rpc::StatusCode::kResourceExhausted,
               known ? "too many open streams on this connection (limit " +
                           std::to_string(limits_.max_streams_per_connection) + ")"
                     : "director at its session limit (" + std::to_string(limits_.max_sessions) +
                           " connections)"});
  return false;
}

void DirectorService::Impl::note_blocked(StreamKey key, detail::ClientStream& c, bool blocked) {
  if (blocked) {
    c.blocked_since = now_();
    blocked_until_.emplace(c.blocked_since + limits_.blocked_lifetime, key);
  } else {
    blocked_until_.erase({c.blocked_since + limits_.blocked_lifetime, key});
  }
}

Timestamp DirectorService::Impl::blocked_deadline() const {
  return blocked_until_.empty() ? kNever : blocked_until_.begin()->first;
}

// A blocked stream's worker call is paused and stall detection is off: without this, a
// client that never reads would hold its worker attempt (and its buffers) forever.
void DirectorService::Impl::end_blocked_streams(Timestamp now) {
  while (!blocked_until_.empty() && blocked_until_.begin()->first <= now) {
    const StreamKey key = blocked_until_.begin()->second;
    blocked_until_.erase(blocked_until_.begin());
    detail::ClientStream* c = clients_.find(key);
    if (c == nullptr || !c->blocked) {
      continue;  // finished or flowing again since
    }
    end_not_reading(key, *c, now);
  }
}

// Ends a stream whose client took nothing for blocked_lifetime (counted in
// blocked_too_long): its outbox dropped, its worker call cancelled.
void DirectorService::Impl::end_not_reading(StreamKey key, detail::ClientStream& c, Timestamp now) {
  ++extra_.blocked_too_long;
  const auto ms = limits_.blocked_lifetime / kMillisecond;
  logger().warn("connection.id={} stream.id={} blocked_ms={}: ⛔ client not reading, stream ended",
                c.connection_id,
                c.stream_id,
                ms);
  on_finished_stream(c, director::StatusCode::kCancelled);
  clients_.abort(key,
                 {rpc::StatusCode::kResourceExhausted,
                  "client did not read for " + std::to_string(ms) +
                      " ms (the director's blocked-stream limit); stream ended"});
  run([&] { core_.on_client_cancel(key, now); });
}

// DirectorService: forwards to Impl.

void DirectorService::set_stream_limits(const StreamLimits& limits) {
  impl_->set_stream_limits(limits);
}

}  // namespace connswap::services
