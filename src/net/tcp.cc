#include "net/tcp.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>
#include <vector>

#include <asio.hpp>

#include "base/log.h"

namespace connswap::net {
namespace {

// asio's cancel() reports a failure of the reactor by throwing; the epoll reactor has none
// for timers, and a destructor or close path must not throw, so it is swallowed here.
void cancel_quietly(asio::steady_timer& timer) noexcept {
  try {
    timer.cancel();
  } catch (...) {  // NOLINT(bugprone-empty-catch): see above
  }
}

spdlog::logger& logger() {
  return log::get("net");
}

std::string endpoint_text(const asio::ip::tcp::endpoint& ep) {
  const auto addr = ep.address();
  const std::string host = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
  return host + ":" + std::to_string(ep.port());
}

asio::steady_timer::time_point to_time_point(Timestamp at) {
  return asio::steady_timer::time_point(std::chrono::nanoseconds(at));
}

}  // namespace

// The socket side of a TcpConn: asio socket, read buffer, deadline timer, the handler.
struct TcpConnImpl {
  TcpConnImpl(TcpListener& owner, asio::ip::tcp::socket sock, std::uint64_t id, std::string peer)
      : listener(owner),
        socket(std::move(sock)),
        timer(owner.loop_.context()),
        conn(owner.loop_, this, id, std::move(peer)),
        buffer(owner.limits_.read_chunk) {}

  void start_read();
  void start_write();
  void arm(Timestamp at);
  void linger();  // everything sent: shut down sending, drain the peer until EOF or linger
  // When a closing connection that makes no progress from now on is cut off.
  Timestamp linger_deadline() const { return listener.loop_.now() + listener.limits_.linger; }
  void finish();  // closes the socket, tells the handler once, then the listener forgets us

  TcpListener& listener;
  asio::ip::tcp::socket socket;
  asio::steady_timer timer;
  TcpConn conn;
  std::vector<char> buffer;
  std::string writing;      // the bytes being written, taken from TcpConn::out_
  std::size_t written = 0;  // ...of which the kernel took these
  std::unique_ptr<TcpHandler> handler;
  Timestamp deadline = 0;  // what the timer is armed for (0: nothing)
  bool read_pending = false;
  bool write_pending = false;
  bool lingering = false;
  bool finished = false;
  Alive alive;
};

void TcpConnImpl::start_read() {
  if (read_pending || finished || (!lingering && (!conn.reading_ || conn.closing_))) {
    return;
  }
  read_pending = true;
  socket.async_read_some(
      asio::buffer(buffer), [this, weak = alive.weak()](const asio::error_code& ec, std::size_t n) {
        if (weak.expired()) {
          return;
        }
        listener.loop_.refresh_now();
        read_pending = false;
        if (finished) {
          return;
        }
        if (ec == asio::error::eof && conn.closing_ && !lingering) {
          return;  // the peer is done sending; what close() queued still goes out
        }
        if (ec) {
          // EOF, reset or an error: the request side is gone. A half-closed HTTP client
          // cannot read a response it stopped waiting for, so the connection ends here.
          logger().debug(
              "tcp conn={} peer={} read ended: {}", conn.id(), conn.peer(), ec.message());
          finish();
          return;
        }
        if (!conn.closing_) {
          handler->on_data(std::string_view(buffer.data(), n));
        }  // else: after close() the peer's bytes are dropped
        start_read();
      });
}

// Writes go out in slices of at most kWriteSlice bytes, so that a closing connection's
// "no progress for linger" is measured per slice, not per whole (maybe MiB-sized) queue.
void TcpConnImpl::start_write() {
  constexpr std::size_t kWriteSlice = std::size_t{64} * 1024;
  if (write_pending || finished) {
    return;
  }
  if (written == writing.size()) {
    writing.clear();
    written = 0;
    if (conn.out_.empty()) {
      conn.inflight_ = 0;
      if (conn.closing_ && !lingering) {
        linger();
      }
      return;
    }
    writing.swap(conn.out_);
    conn.out_.clear();
  }
  conn.inflight_ = writing.size() - written;
  const std::size_t slice = std::min(kWriteSlice, writing.size() - written);
  write_pending = true;
  asio::async_write(
      socket,
      asio::buffer(writing.data() + written, slice),
      [this, weak = alive.weak()](const asio::error_code& ec, std::size_t n) {
        if (weak.expired()) {
          return;
        }
        listener.loop_.refresh_now();
        write_pending = false;
        if (finished) {
          return;
        }
        if (ec) {
          logger().debug(
              "tcp conn={} peer={} write failed: {}", conn.id(), conn.peer(), ec.message());
          finish();
          return;
        }
        written += n;
        conn.inflight_ = writing.size() - written;
        if (conn.closing_) {
          arm(linger_deadline());  // progress: more time
        } else if (conn.inflight_ == 0 && conn.out_.empty()) {
          handler->on_drained();
        }
        start_write();
      });
}

// A deadline that is replaced after its timer expired but before the handler ran is not
// cancelled by asio (it completes with success): `deadline` tells the stale one apart.
void TcpConnImpl::arm(Timestamp at) {
  deadline = at;
  cancel_quietly(timer);
  if (at == 0 || finished) {
    return;
  }
  timer.expires_at(to_time_point(at));
  timer.async_wait([this, weak = alive.weak(), at](const asio::error_code& ec) {
    if (weak.expired() || ec || finished || deadline != at) {
      return;
    }
    listener.loop_.refresh_now();
    deadline = 0;
    if (conn.closing_) {
      logger().debug(
          "tcp conn={} peer={} close timed out (lingering={})", conn.id(), conn.peer(), lingering);
      finish();
      return;
    }
    handler->on_deadline();
  });
}

// RFC 9112 §9.6: closing at once with unread bytes makes the kernel send an RST, which
// can destroy the answer before the client reads it (a refused body, pipelined requests).
// So: FIN first, then read and drop until the peer's FIN, bounded by limits.linger.
void TcpConnImpl::linger() {
  lingering = true;
  asio::error_code ec;
  socket.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) {
    finish();
    return;
  }
  arm(linger_deadline());
  start_read();
}

void TcpConnImpl::finish() {
  if (finished) {
    return;
  }
  finished = true;
  asio::error_code ignored;
  cancel_quietly(timer);
  socket.close(ignored);
  handler->on_closed();
  listener.forget(conn.id());
}

TcpConn::TcpConn(Loop& loop, TcpConnImpl* impl, std::uint64_t id, std::string peer)
    : loop_(loop), impl_(impl), id_(id), peer_(std::move(peer)) {}

void TcpConn::write(std::string_view bytes) {
  if (closing_ || impl_->finished) {
    return;
  }
  out_.append(bytes);
  impl_->start_write();
}

void TcpConn::set_reading(bool on) {
  reading_ = on;
  impl_->start_read();
}

void TcpConn::close() {
  if (closing_) {
    return;
  }
  closing_ = true;
  // The handler's deadline is over; a peer that takes no byte for `linger` is cut off.
  impl_->arm(impl_->linger_deadline());
  // Posted: close() may run inside a handler call, and on_closed() must not re-enter it.
  loop_.post([impl = impl_, weak = impl_->alive.weak()] {
    if (!weak.expired()) {
      impl->start_write();
    }
  });
}

void TcpConn::abort() {
  closing_ = true;
  out_.clear();
  impl_->arm(0);
  loop_.post([impl = impl_, weak = impl_->alive.weak()] {
    if (!weak.expired()) {
      impl->finish();
    }
  });
}

void TcpConn::set_deadline(Timestamp at) {
  if (!closing_) {
    impl_->arm(at);
  }
}

struct TcpListener::Impl {
  explicit Impl(asio::io_context& io) : acceptor(io), retry(io) {}
  asio::ip::tcp::acceptor acceptor;
  asio::steady_timer retry;  // accept_later()
};

TcpListener::TcpListener(Loop& loop, const TcpLimits& limits, Factory factory)
    : loop_(loop),
      limits_(limits),
      factory_(std::move(factory)),
      impl_(std::make_unique<Impl>(loop.context())) {}

TcpListener::~TcpListener() {
  finish_all();
  conns_.clear();  // nothing of theirs is on the stack when the owner destroys us
}

Result<std::unique_ptr<TcpListener>> TcpListener::open(Loop& loop,
                                                       const Address& local,
                                                       const TcpLimits& limits,
                                                       Factory factory) {
  std::unique_ptr<TcpListener> listener(new TcpListener(loop, limits, std::move(factory)));
  auto& acceptor = listener->impl_->acceptor;
  asio::ip::tcp::endpoint ep;
  ep.resize(local.len);
  std::memcpy(ep.data(), local.sa(), local.len);
  asio::error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (!ec) {
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(ep, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return make_error(Errc::kIo, "listen on " + local.to_string() + ": " + ec.message());
  }
  const auto bound = acceptor.local_endpoint(ec);
  std::memcpy(listener->local_.sa(), bound.data(), bound.size());
  listener->local_.len = static_cast<socklen_t>(bound.size());
  listener->accept_next();
  return listener;
}

void TcpListener::accept_next() {
  impl_->acceptor.async_accept(
      [this, weak = alive_.weak()](const asio::error_code& ec, asio::ip::tcp::socket sock) {
        if (weak.expired() || closed_) {
          return;
        }
        loop_.refresh_now();
        if (ec) {
          // EMFILE and the like: the pending connection stays in the backlog and accept
          // would fail again at once, so retry after a pause instead of spinning.
          logger().warn("tcp listener={} accept failed: {}", local_.to_string(), ec.message());
          accept_later();
          return;
        }
        if (conns_.size() >= limits_.max_connections) {
          ++refused_;
          asio::error_code ignored;
          sock.close(ignored);
        } else {
          asio::error_code ignored;
          sock.set_option(asio::ip::tcp::no_delay(true), ignored);
          const std::string peer = endpoint_text(sock.remote_endpoint(ignored));
          const std::uint64_t id = next_id_++;
          auto conn = std::make_unique<TcpConnImpl>(*this, std::move(sock), id, peer);
          TcpConnImpl* raw = conn.get();
          conns_.emplace(id, std::move(conn));
          on_accepted(raw);
        }
        accept_next();
      });
}

void TcpListener::accept_later() {
  impl_->retry.expires_after(to_chrono(limits_.accept_retry));
  impl_->retry.async_wait([this, weak = alive_.weak()](const asio::error_code& ec) {
    if (!weak.expired() && !ec && !closed_) {
      accept_next();
    }
  });
}

void TcpListener::on_accepted(TcpConnImpl* conn) {
  ++accepted_;
  conn->handler = factory_(conn->conn);
  conn->start_read();
}

void TcpListener::forget(std::uint64_t id) {
  // Deferred: the connection's own handler may be on the stack. While close() runs the
  // connections stay in conns_ (it iterates them) and the destructor frees them.
  auto it = conns_.find(id);
  if (closed_ || it == conns_.end()) {
    return;
  }
  auto doomed = std::make_shared<std::unique_ptr<TcpConnImpl>>(std::move(it->second));
  conns_.erase(it);
  loop_.post([doomed] { doomed->reset(); });
}

void TcpListener::close() {
  finish_all();
  // Freed after this turn: a caller inside a handler may still use its connection.
  auto doomed = std::make_shared<decltype(conns_)>(std::move(conns_));
  conns_.clear();
  loop_.post([doomed] { doomed->clear(); });
}

void TcpListener::finish_all() {
  if (closed_) {
    return;
  }
  closed_ = true;
  asio::error_code ignored;
  impl_->acceptor.close(ignored);
  cancel_quietly(impl_->retry);
  // closed_ is set, so forget() leaves conns_ alone while this loop walks it.
  for (auto& [id, conn] : conns_) {
    conn->finish();
  }
}

}  // namespace connswap::net
