#include "rpcnet/detail/peer.h"

#include <variant>

#include "base/log.h"
#include "net/endpoint.h"
#include "rpcnet/stream_events.h"

namespace connswap::rpcnet::detail {

Result<void> check_watermarks(const quic::TransportSettings& transport,
                              const rpc::SessionConfig& session) {
  // rpc/transport.h: writable notifications come below the transport's low-water mark,
  // which must not exceed the point where the Session stops writing.
  if (transport.send_low_water > session.send_high_water) {
    return make_error(Errc::kInvalidArgument,
                      "quic send_low_water must not exceed the session's send_high_water");
  }
  return {};
}

Peer::Peer(net::Conn& conn,
           const rpc::Registry* registry,
           const rpc::SessionConfig& config,
           net::TimerQueue& timers,
           PeerObserver& observer)
    : transport_(conn),
      session_(transport_, registry, config),
      timers_(timers),
      observer_(observer),
      key_(conn.key()) {
  info_.id = conn.id();
  info_.peer = conn.path().remote;
  conn.set_handler(this);
}

Peer::~Peer() {
  timers_.cancel(key_);
}

void Peer::on_deadline(Timestamp now) {
  session_.on_timeout(now);
  sync_deadline();  // the queue dropped our entry when it fired
}

void Peer::on_event(net::Conn& conn, quic::Event& event) {
  const Timestamp now = conn.endpoint().loop().now();
  if (deliver_stream_event(session_, event, now)) {
    return;
  }
  if (std::holds_alternative<quic::HandshakeCompleted>(event)) {
    on_handshake(conn);
  }
  // PathValidated: migration is invisible to calls.
}

void Peer::on_handshake(net::Conn& conn) {
  open_ = true;
  info_.peer = conn.path().remote;
  info_.client_certificate = conn.quic().peer_certificate_presented();
  quic::PeerCertificate cert = conn.quic().peer_certificate();
  info_.roles = cert.roles;
  info_.fingerprint = std::move(cert.fingerprint);
  // A certificate the peer presented has been verified (the handshake fails otherwise:
  // a server verifies against its client CA, a client against its trust anchors).
  session_.set_peer({info_.peer.to_string(),
                     info_.client_certificate,
                     info_.roles,
                     info_.fingerprint,
                     conn.id()});
  transport_.set_ready();
  observer_.on_peer_open(*this);
  // Calls started before the handshake are waiting for a stream.
  session_.on_streams_available(conn.endpoint().loop().now());
}

void Peer::on_flushed(net::Conn& /*conn*/) {
  sync_deadline();
}

void Peer::on_closed(net::Conn& /*conn*/, const quic::ConnectionClosed& closed) {
  if (lost_) {
    return;
  }
  lost_ = true;
  transport_.detach();
  timers_.cancel(key_);
  log::get("rpcnet").debug(
      "conn={} lost: {} {}", info_.id, quic::to_string(closed.kind), closed.reason);
  std::string reason(quic::to_string(closed.kind));
  if (!closed.reason.empty()) {
    reason += ": " + closed.reason;
  }
  session_.on_connection_lost(reason);
  observer_.on_peer_closed(*this, closed);
}

void Peer::sync_deadline() {
  if (!lost_) {
    // Re-arms the kernel timer only if this moves the earliest deadline earlier.
    timers_.schedule(key_, session_.deadline());
  }
}

}  // namespace connswap::rpcnet::detail
