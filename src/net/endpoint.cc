#include "net/endpoint.h"

#include <variant>

#include "base/log.h"

namespace connswap::net {
namespace {

constexpr std::size_t kSendBufferBytes = 64 << 10;
constexpr std::size_t kRecvBufferBytes = 64 << 10;  // one GRO train
constexpr int kMaxRecvPerTurn = 64;                 // recvmsg calls before yielding to other work
constexpr int kMaxBatchesPerFlush = 16;  // write_datagrams batches per connection per turn
constexpr int kMaxFlushRounds = 4;       // re-flushes for work queued by handlers mid-flush

spdlog::logger& logger() {
  return log::get("net");
}

}  // namespace

Endpoint::Endpoint(Loop& loop, ConnectionHandler& handler)
    : loop_(loop),
      handler_(handler),
      timers_(loop, [this](std::uint64_t key, Timestamp now) { on_timer(key, now); }),
      send_buf_(kSendBufferBytes),
      recv_buf_(kRecvBufferBytes) {}

Endpoint::~Endpoint() {
  // Derived classes call stop() in their destructors while their sockets still exist.
  dead_conns_.clear();
  conns_.clear();
  dead_sockets_.clear();
}

void Endpoint::for_each(const std::function<void(Conn&)>& fn) {
  std::vector<std::uint64_t> keys;
  keys.reserve(conns_.size());
  for (auto& [key, conn] : conns_) {
    keys.push_back(key);
  }
  for (auto key : keys) {
    if (Conn* c = find(key)) {
      fn(*c);
    }
  }
}

void Endpoint::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  loop_.refresh_now();
  for_each([this](Conn& c) {
    if (!c.closed_reported_ && !c.quic_->is_closed()) {
      c.quic_->close(quic::kAppShuttingDown, "endpoint stopping");
    }
    flush(c);  // sends CONNECTION_CLOSE and reports on_closed
    if (!c.retired_) {
      retire(c);
    }
  });
}

Conn& Endpoint::adopt(std::unique_ptr<quic::Connection> quic) {
  const std::uint64_t key = next_key_++;
  auto conn = std::make_unique<Conn>(*this, key, std::move(quic), &handler_);
  Conn& c = *conn;
  conns_.emplace(key, std::move(conn));
  while (auto change = c.quic_->poll_cid_change()) {
    on_cid_change(c, *change);
  }
  handler_.on_connection(c);
  c.mark_dirty();
  return c;
}

void Endpoint::deliver(Conn& conn, const quic::Path& path, ByteSpan datagram) {
  if (conn.retired_) {
    return;
  }
  auto r = conn.quic_->on_datagram(path, datagram, loop_.now());
  if (!r) {
    logger().debug("conn={} datagram rejected: {}", conn.id(), r.error().message());
  }
  // New CIDs must be routable before the next datagram of this batch.
  while (auto change = conn.quic_->poll_cid_change()) {
    on_cid_change(conn, *change);
  }
  conn.mark_dirty();
}

void Endpoint::peer_gone(Conn& conn, const std::string& reason) {
  if (conn.retired_ || conn.quic_->is_closed()) {
    return;
  }
  logger().info("conn={} peer gone: {}", conn.id(), reason);
  conn.quic_->on_peer_gone(reason);
  conn.mark_dirty();
}

Conn* Endpoint::find(std::uint64_t key) {
  auto it = conns_.find(key);
  return it == conns_.end() ? nullptr : it->second.get();
}

void Endpoint::mark_dirty(Conn& conn) {
  conn.dirty_ = true;
  dirty_.push_back(conn.key_);
  post_flush();
}

void Endpoint::post_flush() {
  if (flush_posted_) {
    return;
  }
  flush_posted_ = true;
  loop_.post([this, alive = alive_.weak()] {
    if (alive.expired()) {
      return;
    }
    flush_posted_ = false;
    loop_.refresh_now();
    flush_dirty();
  });
}

void Endpoint::flush_dirty() {
  for (int round = 0; round < kMaxFlushRounds && !dirty_.empty(); ++round) {
    std::vector<std::uint64_t> keys;
    keys.swap(dirty_);
    for (auto key : keys) {
      Conn* c = find(key);
      if (c != nullptr && c->dirty_) {
        c->dirty_ = false;
        flush(*c);
      }
    }
  }
  if (!dirty_.empty()) {
    post_flush();  // handlers keep producing: continue next turn, let I/O run first
  }
}

void Endpoint::flush(Conn& c) {
  const Timestamp now = loop_.now();
  drain(c);
  bool more = false;
  for (int batch = 0; !c.retired_ && !c.quic_->is_closed(); ++batch) {
    if (batch == kMaxBatchesPerFlush) {
      more = true;  // fairness: other connections and reads get a turn
      break;
    }
    auto d = c.quic_->write_datagrams(send_buf_, now);
    if (!d) {
      logger().debug("conn={} write failed: {}", c.id(), d.error().message());
      break;  // the connection is closing; its events say why
    }
    if (d->bytes == 0) {
      break;
    }
    UdpSocket* socket = socket_by_tag(d->path.tag);
    if (socket == nullptr) {
      logger().debug("conn={} dropped {} bytes for a closed socket", c.id(), d->bytes);
      continue;
    }
    auto sent = socket->send(d->path.remote, ByteSpan(send_buf_.data(), d->bytes), d->segment_size);
    if (!sent) {
      if (sent.error().code == Errc::kPeerGone) {
        c.quic_->on_peer_gone(sent.error().detail);
      }
      break;
    }
    if (socket->blocked()) {
      write_blocked_.push_back(c.key_);  // resumes from on_socket_writable()
      break;
    }
  }
  drain(c);
  if (c.retired_) {
    return;
  }
  if (more) {
    c.mark_dirty();
  }
  if (!c.closed_reported_) {
    c.handler_->on_flushed(c);
  }
  timers_.schedule(c.key_, c.quic_->deadline());
  if (c.quic_->is_closed()) {
    retire(c);
  }
}

void Endpoint::drain(Conn& c) {
  while (auto change = c.quic_->poll_cid_change()) {
    on_cid_change(c, *change);
  }
  while (!c.closed_reported_ && !c.retired_) {
    auto event = c.quic_->poll_event();
    if (!event) {
      break;
    }
    before_event(c, *event);
    if (auto* closed = std::get_if<quic::ConnectionClosed>(&*event)) {
      c.closed_reported_ = true;
      logger().debug(
          "conn={} closed: {} {}", c.id(), quic::to_string(closed->kind), closed->reason);
      c.handler_->on_closed(c, *closed);
      break;
    }
    c.handler_->on_event(c, *event);
  }
}

void Endpoint::retire(Conn& c) {
  if (c.retired_) {
    return;
  }
  if (!c.closed_reported_) {
    c.closed_reported_ = true;
    c.handler_->on_closed(c, quic::ConnectionClosed{quic::CloseKind::kLocal, 0, "dropped"});
  }
  c.retired_ = true;
  on_retire(c);
  timers_.cancel(c.key_);
  auto it = conns_.find(c.key_);
  if (it != conns_.end()) {
    dead_conns_.push_back(std::move(it->second));
    conns_.erase(it);
  }
  post_reap();
}

void Endpoint::post_reap() {
  if (reap_posted_) {
    return;
  }
  reap_posted_ = true;
  loop_.post([this, alive = alive_.weak()] {
    if (alive.expired()) {
      return;
    }
    reap_posted_ = false;
    dead_conns_.clear();
    dead_sockets_.clear();
  });
}

void Endpoint::retire_socket(std::unique_ptr<UdpSocket> socket) {
  socket->close();
  dead_sockets_.push_back(std::move(socket));
  post_reap();
}

void Endpoint::on_timer(std::uint64_t key, Timestamp now) {
  Conn* c = find(key);
  if (c == nullptr) {
    return;
  }
  auto r = c->quic_->on_timeout(now);
  if (!r) {
    logger().debug("conn={} timeout: {}", c->id(), r.error().message());
  }
  c->mark_dirty();
  flush_dirty();
}

void Endpoint::on_socket_writable() {
  loop_.refresh_now();
  std::vector<std::uint64_t> keys;
  keys.swap(write_blocked_);
  for (auto key : keys) {
    if (Conn* c = find(key)) {
      c->mark_dirty();
    }
  }
  flush_dirty();
}

void Endpoint::on_socket_error(std::uintptr_t tag, const Error& error) {
  logger().debug("socket {} error: {}", tag, error.message());
}

void Endpoint::start_reading(std::uintptr_t tag) {
  if (UdpSocket* s = socket_by_tag(tag)) {
    s->set_on_writable([this] { on_socket_writable(); });
    s->wait_readable([this, tag] { read_ready(tag); });
  }
}

void Endpoint::read_ready(std::uintptr_t tag) {
  loop_.refresh_now();
  bool drained = false;
  for (int i = 0; i < kMaxRecvPerTurn; ++i) {
    UdpSocket* s = socket_by_tag(tag);
    if (s == nullptr) {
      return;  // retired while handling a datagram
    }
    auto r = s->recv(recv_buf_);
    if (!r) {
      on_socket_error(tag, r.error());
      if (r.error().code == Errc::kPeerGone) {
        continue;  // the ICMP error is consumed; more datagrams may be queued
      }
      drained = r.error().code != Errc::kClosed;
      break;
    }
    if (!r->has_value()) {
      drained = true;
      break;
    }
    const Received& got = **r;
    for (std::size_t off = 0; off < got.bytes; off += got.segment_size) {
      std::size_t len = std::min(got.segment_size, got.bytes - off);
      on_datagram(tag, got.from, ByteSpan(recv_buf_.data() + off, len));
    }
  }
  flush_dirty();
  UdpSocket* s = socket_by_tag(tag);
  if (s == nullptr || stopped_) {
    return;
  }
  if (drained) {
    s->wait_readable([this, tag] { read_ready(tag); });
  } else {
    // Budget used up: come back after other ready handlers (edge-triggered: don't wait).
    loop_.post([this, tag, alive = alive_.weak()] {
      if (!alive.expired()) {
        read_ready(tag);
      }
    });
  }
}

}  // namespace connswap::net
