#pragma once
// Private: rpc::StreamTransport over one net::Conn (see rpc/transport.h for the contract).

#include <cstddef>
#include <cstdint>

#include "net/conn.h"
#include "rpc/transport.h"

namespace connswap::rpcnet::detail {

// Every call only queues work in the connection and marks it dirty; nothing here calls
// back into the Session. Once detached (connection closed) sends fail with kClosed and
// the rest are no-ops.
class ConnTransport final : public rpc::StreamTransport {
 public:
  explicit ConnTransport(net::Conn& conn) : conn_(&conn) {}

  // Streams can be opened once the handshake completed (before that: kResourceExhausted,
  // and the owner reports Session::on_streams_available() at HandshakeCompleted).
  void set_ready() { ready_ = true; }
  void detach() { conn_ = nullptr; }

  Result<rpc::StreamId> open_stream() override;
  Result<void> send(rpc::StreamId id, Bytes data, bool fin) override;
  std::size_t send_buffered(rpc::StreamId id) const override;
  void consume(rpc::StreamId id, std::size_t bytes) override;
  void reset_stream(rpc::StreamId id, std::uint64_t code) override;
  void stop_sending(rpc::StreamId id, std::uint64_t code) override;

 private:
  net::Conn* conn_;
  bool ready_ = false;
};

}  // namespace connswap::rpcnet::detail
