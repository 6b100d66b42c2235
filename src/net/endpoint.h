#pragma once
// What server and client endpoints share: owning connections, the per-turn flush of dirty
// connections, one timer queue for all connection deadlines, event dispatch to handlers,
// reading sockets, and deferred destruction (connections die at the end of a loop turn).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "base/alive.h"
#include "base/bytes.h"
#include "net/conn.h"
#include "net/loop.h"
#include "net/timer_queue.h"
#include "net/udp_socket.h"
#include "quic/connection.h"

namespace connswap::net {

// Destroy an endpoint from outside its own handler callbacks (call stop() from a handler,
// destroy later); its handler must outlive it. Connections are only ever destroyed by
// the endpoint, at the end of a loop turn.
class Endpoint {
 public:
  virtual ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  Loop& loop() { return loop_; }
  std::size_t connection_count() const { return conns_.size(); }
  // Calls `fn` for every live connection (snapshot: fn may close connections).
  void for_each(const std::function<void(Conn&)>& fn);

  // Closes every connection with kAppShuttingDown, sends the CONNECTION_CLOSEs, reports
  // on_closed for each, and stops accepting and reading. Idempotent; safe from handlers.
  virtual void stop();
  bool stopped() const { return stopped_; }

 protected:
  Endpoint(Loop& loop, ConnectionHandler& handler);

  // Takes ownership of a new connection and reports on_connection.
  Conn& adopt(std::unique_ptr<quic::Connection> quic);
  // Feeds one datagram to `conn` and queues it for this turn's flush.
  void deliver(Conn& conn, const quic::Path& path, ByteSpan datagram);
  // ICMP unreachable on a connected socket: the connection closes with kPeerGone.
  void peer_gone(Conn& conn, const std::string& reason);
  Conn* find(std::uint64_t key);
  // Flushes every dirty connection now (end of a receive batch or timer expiry).
  void flush_dirty();

  // Reads `socket` whenever it is readable; datagrams go to on_datagram (GRO trains are
  // split into segments). `tag` names the socket in quic::Path::tag.
  void start_reading(std::uintptr_t tag);
  // Destroys `socket` at the end of the turn (it may be on the stack right now).
  void retire_socket(std::unique_ptr<UdpSocket> socket);

  // Hooks for the concrete endpoint.
  virtual UdpSocket* socket_by_tag(std::uintptr_t tag) = 0;
  virtual void on_datagram(std::uintptr_t tag, const Address& from, ByteSpan datagram) = 0;
  virtual void on_socket_error(std::uintptr_t tag, const Error& error);
  virtual void on_cid_change(Conn& /*conn*/, const quic::CidChange& /*change*/) {}
  virtual void before_event(Conn& /*conn*/, const quic::Event& /*event*/) {}
  virtual void on_retire(Conn& /*conn*/) {}  // last call before the connection is destroyed
  // Called when `socket` drained its send queue; flushes connections waiting on it.
  void on_socket_writable();

 private:
  friend class Conn;
  void mark_dirty(Conn& conn);
  void flush(Conn& conn);
  void drain(Conn& conn);
  void retire(Conn& conn);
  void on_timer(std::uint64_t key, Timestamp now);
  void read_ready(std::uintptr_t tag);
  void post_flush();
  void post_reap();

  Loop& loop_;
  ConnectionHandler& handler_;
  TimerQueue timers_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Conn>> conns_;
  std::vector<std::uint64_t> dirty_;
  std::vector<std::uint64_t> write_blocked_;
  std::vector<std::unique_ptr<Conn>> dead_conns_;
  std::vector<std::unique_ptr<UdpSocket>> dead_sockets_;
  Bytes send_buf_;
  Bytes recv_buf_;
  std::uint64_t next_key_ = 1;
  bool flush_posted_ = false;
  bool reap_posted_ = false;
  bool stopped_ = false;
  Alive alive_;
};

}  // namespace connswap::net
