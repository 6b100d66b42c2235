#pragma once
// The application's handle on one QUIC connection owned by an Endpoint, and the handler
// interface endpoints report to. Calls on a Conn only queue work in quic::Connection and mark
// it dirty; the endpoint flushes each dirty connection once per loop turn, so many small
// sends coalesce into few packets.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "base/error.h"
#include "quic/connection.h"
#include "quic/event.h"

namespace connswap::net {

class Conn;
class Endpoint;

// Receives everything that happens on connections. All calls run on the loop thread. A
// handler may call back into its Conn or endpoint (send, close, open streams, migrate);
// connections are destroyed only at the end of the loop turn, never under a handler.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // A new connection (server: accepted; client: created). Set a per-connection handler here.
  virtual void on_connection(Conn& /*conn*/) {}
  // Every event except ConnectionClosed, in order. StreamData may be moved out of `event`;
  // the handler must call Conn::consume() for read bytes to keep flow-control credit flowing.
  virtual void on_event(Conn& conn, quic::Event& event) = 0;
  // After each flush of `conn` (its events handled, its datagrams written): a place to look
  // at state the events changed, e.g. to re-arm an application timer. Must not send.
  virtual void on_flushed(Conn& /*conn*/) {}
  // Exactly once per connection; no on_event follows. Drop every pointer to `conn` here.
  virtual void on_closed(Conn& /*conn*/, const quic::ConnectionClosed& /*closed*/) {}
};

class Conn {
 public:
  Conn(Endpoint& endpoint,
       std::uint64_t key,
       std::unique_ptr<quic::Connection> quic,
       ConnectionHandler* handler);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Streams (see quic::Connection). Errors come straight from the connection.
  Result<quic::StreamId> open_stream();  // kResourceExhausted: wait for StreamsAvailable
  Result<void> send(quic::StreamId id, Bytes data, bool fin);
  Result<void> send(quic::StreamId id, ByteSpan data, bool fin);
  void consume(quic::StreamId id, std::size_t bytes);
  void reset_stream(quic::StreamId id, std::uint64_t app_error);
  void stop_sending(quic::StreamId id, std::uint64_t app_error);
  std::size_t send_buffered(quic::StreamId id) const { return quic_->send_buffered(id); }

  // Graceful CONNECTION_CLOSE; on_closed follows (kLocal).
  void close(std::uint64_t app_error, std::string reason);

  const std::string& id() const { return quic_->id(); }
  const quic::Path& path() const { return quic_->path(); }
  bool handshake_completed() const { return quic_->handshake_completed(); }
  bool is_closed() const { return quic_->is_closed() || closed_reported_; }
  Endpoint& endpoint() { return endpoint_; }
  std::uint64_t key() const { return key_; }  // unique within the endpoint, never reused

  // Routes this connection's callbacks to `handler` (not owned; must outlive the
  // connection or be replaced). nullptr restores the endpoint's handler.
  void set_handler(ConnectionHandler* handler);
  ConnectionHandler& handler() { return *handler_; }

  // The sans-IO connection, for what Conn does not wrap. Call mark_dirty() after using it.
  quic::Connection& quic() { return *quic_; }
  void mark_dirty();

 private:
  friend class Endpoint;

  Endpoint& endpoint_;
  std::uint64_t key_;
  std::unique_ptr<quic::Connection> quic_;
  ConnectionHandler* default_handler_;
  ConnectionHandler* handler_;
  bool dirty_ = false;            // queued for the endpoint's next flush
  bool closed_reported_ = false;  // on_closed delivered
  bool retired_ = false;          // removed from the endpoint; destroyed at the end of the turn
};

}  // namespace connswap::net
