#include "rpcnet/detail/conn_transport.h"

#include "quic/types.h"
#include "rpc/status.h"

namespace connswap::rpcnet::detail {

// The RPC layer's stream error codes travel as QUIC application error codes unchanged.
static_assert(rpc::kStreamNoError == quic::kAppNoError);
static_assert(rpc::kStreamCancelled == quic::kAppCancelled);
static_assert(rpc::kStreamInternal == quic::kAppInternal);
static_assert(rpc::kStreamShuttingDown == quic::kAppShuttingDown);
static_assert(std::is_same_v<rpc::StreamId, quic::StreamId>);

Result<rpc::StreamId> ConnTransport::open_stream() {
  if (conn_ == nullptr) {
    return make_error(Errc::kClosed, "connection closed");
  }
  // A new call may carry a deadline: the flush this causes lets the Peer re-arm its timer
  // (Peer::on_flushed), even when the call has to wait for a stream.
  conn_->mark_dirty();
  if (!ready_) {
    return make_error(Errc::kResourceExhausted, "handshake in progress");
  }
  return conn_->open_stream();
}

Result<void> ConnTransport::send(rpc::StreamId id, Bytes data, bool fin) {
  if (conn_ == nullptr) {
    return make_error(Errc::kClosed, "connection closed");
  }
  return conn_->send(id, std::move(data), fin);
}

std::size_t ConnTransport::send_buffered(rpc::StreamId id) const {
  return conn_ == nullptr ? 0 : conn_->send_buffered(id);
}

void ConnTransport::consume(rpc::StreamId id, std::size_t bytes) {
  if (conn_ != nullptr) {
    conn_->consume(id, bytes);
  }
}

void ConnTransport::reset_stream(rpc::StreamId id, std::uint64_t code) {
  if (conn_ != nullptr) {
    conn_->reset_stream(id, code);
  }
}

void ConnTransport::stop_sending(rpc::StreamId id, std::uint64_t code) {
  if (conn_ != nullptr) {
    conn_->stop_sending(id, code);
  }
}

}  // namespace connswap::rpcnet::detail
