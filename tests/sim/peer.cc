#include "sim/peer.h"

#include <algorithm>
#include <variant>

#include "rpcnet/stream_events.h"

namespace connswap::sim {

Peer::Peer(std::unique_ptr<quic::Connection> conn, const rpc::Registry* registry)
    : conn_(std::move(conn)), session_(*this, registry), buf_(64 * 1024) {}

Peer::~Peer() = default;

void Peer::on_datagram(const Datagram& d, Timestamp now) {
  if (dead || conn_->is_closed()) {
    return;
  }
  (void)conn_->on_datagram(quic::Path{d.to, d.from, 0}, d.data, now);
}

bool Peer::fire(Timestamp now) {
  if (dead) {
    return false;
  }
  bool fired = false;
  if (!conn_->is_closed() && conn_->deadline() <= now) {
    (void)conn_->on_timeout(now);
    fired = true;
  }
  if (!lost_ && session_.deadline() <= now) {
    session_.on_timeout(now);
    fired = true;
  }
  return fired;
}

bool Peer::pump(Timestamp now) {
  if (dead) {
    return false;
  }
  bool any = false;
  while (auto ev = conn_->poll_event()) {
    any = true;
    on_event(*ev, now);
  }
  if (!lost_ && conn_->is_closed()) {  // closed without telling (should not happen)
    on_closed({quic::CloseKind::kLocal, 0, "closed"});
    any = true;
  }
  return any;
}

void Peer::on_event(quic::Event& event, Timestamp now) {
  if (lost_) {
    return;
  }
  if (rpcnet::deliver_stream_event(session_, event, now)) {
    return;
  }
  if (std::holds_alternative<quic::HandshakeCompleted>(event)) {
    open_ = true;
    session_.set_peer({conn_->path().remote.to_string(), conn_->peer_certificate_presented()});
    session_.on_streams_available(now);  // calls started before the handshake
  } else if (auto* closed = std::get_if<quic::ConnectionClosed>(&event)) {
    on_closed(*closed);
  }
}

void Peer::on_closed(const quic::ConnectionClosed& closed) {
  lost_ = true;
  std::string reason(quic::to_string(closed.kind));
  if (!closed.reason.empty()) {
    reason += ": " + closed.reason;
  }
  session_.on_connection_lost(reason);
  if (on_lost) {
    on_lost(closed);
  }
}

bool Peer::flush(Network& net, Timestamp now) {
  if (dead || conn_->is_closed()) {
    return false;
  }
  bool any = false;
  for (;;) {
    auto r = conn_->write_datagrams(buf_, now);
    if (!r || r->bytes == 0) {
      return any;
    }
    any = true;
    for (std::size_t off = 0; off < r->bytes; off += r->segment_size) {
      const std::size_t n = std::min(r->segment_size, r->bytes - off);
      net.send(r->path.local, r->path.remote, ByteSpan(buf_).subspan(off, n), now);
    }
  }
}

Timestamp Peer::deadline() const {
  if (dead) {
    return kNever;
  }
  Timestamp d = conn_->is_closed() ? kNever : conn_->deadline();
  return lost_ ? d : std::min(d, session_.deadline());
}

Result<rpc::StreamId> Peer::open_stream() {
  if (lost_) {
    return make_error(Errc::kClosed, "connection closed");
  }
  if (!open_) {
    return make_error(Errc::kResourceExhausted, "handshake in progress");
  }
  return conn_->open_stream();
}

Result<void> Peer::send(rpc::StreamId id, Bytes data, bool fin) {
  if (lost_) {
    return make_error(Errc::kClosed, "connection closed");
  }
  return conn_->send(id, std::move(data), fin);
}

std::size_t Peer::send_buffered(rpc::StreamId id) const {
  return lost_ ? 0 : conn_->send_buffered(id);
}

void Peer::consume(rpc::StreamId id, std::size_t bytes) {
  if (!lost_) {
    conn_->consume(id, bytes);
  }
}

void Peer::reset_stream(rpc::StreamId id, std::uint64_t code) {
  if (!lost_) {
    conn_->reset_stream(id, code);
  }
}

void Peer::stop_sending(rpc::StreamId id, std::uint64_t code) {
  if (!lost_) {
    conn_->stop_sending(id, code);
  }
}

}  // namespace connswap::sim
