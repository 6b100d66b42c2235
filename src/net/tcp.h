#pragma once
// TCP for the director's HTTP front: a listener that accepts up to a limit of connections
// and hands each one's bytes to a TcpHandler made for it. Writes are queued and sent in
// order (TCP_NODELAY: an SSE event leaves when it is written); reading can be paused (the
// handler's backpressure); each connection has one deadline. Like the rest of src/net it
// runs on one Loop and is not thread-safe; the handlers only queue and decide, the sockets
// stay here.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/address.h"
#include "base/alive.h"
#include "base/error.h"
#include "base/time.h"
#include "net/loop.h"

namespace connswap::net {

struct TcpLimits {
  std::size_t max_connections = 1024;  // more are accepted and closed at once (refused)
  std::size_t read_chunk = std::size_t{16} * 1024;  // bytes read per receive
  // After close(): how long the peer may take no byte of what is queued, and then how long
  // its leftover bytes are read and dropped while waiting for its FIN (a close with unread
  // bytes would reset the connection and could destroy the answer still in flight).
  Duration linger = 2 * kSecond;
  Duration accept_retry = 100 * kMillisecond;  // after accept() fails (EMFILE...): pause
};

// The application's side of one accepted connection. Every call comes from the loop, never
// from inside a TcpConn call.
class TcpHandler {
 public:
  virtual ~TcpHandler() = default;
  virtual void on_data(std::string_view bytes) = 0;  // received, in order
  virtual void on_drained() = 0;                     // every byte written so far went to the kernel
  virtual void on_deadline() = 0;                    // the deadline set with set_deadline() passed
  // The connection is gone (peer closed or reset it, an I/O error, or abort()/close()
  // finished); no call follows and the TcpConn is destroyed after this turn.
  virtual void on_closed() = 0;
};

struct TcpConnImpl;

// One accepted connection, owned by its TcpListener; its handler holds a reference.
class TcpConn {
 public:
  TcpConn(Loop& loop, TcpConnImpl* impl, std::uint64_t id, std::string peer);
  // Queues `bytes` behind everything written before. Ignored once closing.
  void write(std::string_view bytes);
  std::size_t queued() const { return out_.size() + inflight_; }
  // Pauses (false) or resumes (true) reading: while paused the peer's bytes stay in the
  // kernel and TCP flow control pushes back.
  void set_reading(bool on);
  // Sends what is queued, shuts the sending side, then drops what the peer still sends
  // until it closes too; each step bounded by TcpLimits::linger. No on_data, on_drained or
  // on_deadline after this call; on_closed() follows.
  void close();
  // Closes now, dropping what is queued. on_closed() follows.
  void abort();
  // on_deadline() once at `at` (0 = none). A later call replaces it, also one already due
  // but not yet delivered. Ignored once closing.
  void set_deadline(Timestamp at);
  std::uint64_t id() const { return id_; }
  const std::string& peer() const { return peer_; }  // "127.0.0.1:51234"
  bool closing() const { return closing_; }

 private:
  friend struct TcpConnImpl;
  Loop& loop_;
  TcpConnImpl* impl_;
  std::uint64_t id_;
  std::string peer_;
  std::string out_;           // queued, not yet handed to a write
  std::size_t inflight_ = 0;  // bytes taken for writing, not yet by the kernel
  bool reading_ = true;
  bool closing_ = false;
};

class TcpListener {
 public:
  // Makes the handler of a new connection (which must not call the listener back).
  using Factory = std::function<std::unique_ptr<TcpHandler>(TcpConn&)>;

  // Listens on `local` (port 0 picks a free port). kIo with the reason if it cannot bind.
  static Result<std::unique_ptr<TcpListener>> open(Loop& loop,
                                                   const Address& local,
                                                   const TcpLimits& limits,
                                                   Factory factory);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  const Address& local() const { return local_; }
  std::size_t connections() const { return conns_.size(); }
  std::uint64_t accepted() const { return accepted_; }
  std::uint64_t refused() const { return refused_; }  // over max_connections
  // Stops accepting and aborts every connection (each handler sees on_closed()).
  void close();

 private:
  struct Impl;
  TcpListener(Loop& loop, const TcpLimits& limits, Factory factory);
  void accept_next();
  void accept_later();  // after an accept error, without spinning
  void on_accepted(TcpConnImpl* conn);
  void forget(std::uint64_t id);
  void finish_all();  // stops accepting, finishes every connection (they stay in conns_)

  friend struct TcpConnImpl;
  Loop& loop_;
  TcpLimits limits_;
  Factory factory_;
  std::unique_ptr<Impl> impl_;
  Address local_;
  std::unordered_map<std::uint64_t, std::unique_ptr<TcpConnImpl>> conns_;
  std::uint64_t next_id_ = 1;
  std::uint64_t accepted_ = 0;
  std::uint64_t refused_ = 0;
  bool closed_ = false;
  Alive alive_;
};

}  // namespace connswap::net
