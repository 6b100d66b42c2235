#include "rpc/session.h"

#include "rpc/detail/core.h"

namespace connswap::rpc {

// Each entry point holds its own reference to the Core while it runs: a callback may
// destroy this Session.

Session::Session(StreamTransport& transport, const Registry* registry, SessionConfig config)
    : core_(std::make_shared<detail::Core>(transport, registry, config)) {}

Session::~Session() {
  auto core = core_;
  core->end_all({StatusCode::kUnavailable, "session destroyed", EndCause::kConnectionLost},
                std::nullopt);
}

void Session::on_stream_opened(StreamId id) {
  core_->on_stream_opened(id);
}

void Session::on_stream_data(StreamId id, ByteSpan data, bool fin, Timestamp now) {
  auto core = core_;
  core->on_stream_data(id, data, fin, now);
}

void Session::on_stream_reset(StreamId id, std::uint64_t code) {
  auto core = core_;
  core->on_stream_reset(id, code);
}

void Session::on_stop_sending(StreamId id, std::uint64_t code) {
  auto core = core_;
  core->on_stop_sending(id, code);
}

void Session::on_stream_writable(StreamId id) {
  auto core = core_;
  core->on_stream_writable(id);
}

void Session::on_streams_available(Timestamp now) {
  auto core = core_;
  core->on_streams_available(now);
}

void Session::on_connection_lost(std::string_view reason) {
  auto core = core_;
  core->end_all({StatusCode::kUnavailable,
                 "connection lost: " + std::string(reason),
                 EndCause::kConnectionLost},
                std::nullopt);
}

Timestamp Session::deadline() const {
  return core_->deadline();
}

void Session::on_timeout(Timestamp now) {
  auto core = core_;
  core->on_timeout(now);
}

Result<Call> Session::start_call(CallOptions options, CallCallbacks callbacks, Timestamp now) {
  auto core = core_;
  auto id = core->start_call(std::move(options), std::move(callbacks), now);
  if (!id) {
    return Unexpected(std::move(id).error());
  }
  return Call(core, *id);
}

void Session::close(const Status& why) {
  auto core = core_;
  Status status = why;
  status.cause = EndCause::kConnectionLost;  // this side closed the session
  core->end_all(status, kStreamShuttingDown);
}

std::size_t Session::open_calls() const {
  return core_->open_calls();
}

void Session::set_peer(PeerInfo peer) {
  core_->set_peer(std::move(peer));
}

const PeerInfo& Session::peer() const {
  return core_->peer();
}

}  // namespace connswap::rpc
