#pragma once
// rpcnet::Channel: one client QUIC connection and the rpc::Session on it. Start calls on
// session() with rpc/client.h (call_unary, start_call) right after connect(): calls made
// before the handshake wait for it. When the connection goes, for any reason, every open
// call ends UNAVAILABLE and on_lost runs. Loop thread only; not thread-safe.
//
//   auto ch = rpcnet::Channel::connect(loop, options);    // options.remote, options.quic
//   (*ch)->call_unary<Req, Resp>(call_options, request, [](rpc::UnaryResult<Resp> r) {...});

#include <functional>
#include <memory>
#include <string>

#include "base/address.h"
#include "base/alive.h"
#include "base/error.h"
#include "net/client.h"
#include "net/conn.h"
#include "net/loop.h"
#include "net/timer_queue.h"
#include "quic/connection.h"
#include "rpc/client.h"
#include "rpc/registry.h"
#include "rpc/session.h"
#include "rpcnet/detail/peer.h"

namespace connswap::rpcnet {

struct ChannelOptions {
  Address remote;           // the server
  quic::ClientConfig quic;  // transport, TLS (a client certificate for mTLS), server name
  Address local;            // empty: any local address of the remote's family, port 0
  net::SocketOptions socket;
  rpc::SessionConfig session;  // frame size limit, per-call send high-water mark
};

// Runs once when the connection is gone; every open call has already ended UNAVAILABLE.
using LostFn = std::function<void(const quic::ConnectionClosed&)>;

class Channel final : private net::ConnectionHandler, private detail::PeerObserver {
 public:
  // Opens the socket and starts the handshake. `registry` (nullable, not owned, must
  // outlive the Channel) serves calls the server starts on this connection. Errors:
  // kInvalidArgument (bad config, quic send_low_water above session send_high_water), kIo.
  static Result<std::unique_ptr<Channel>> connect(net::Loop& loop,
                                                  ChannelOptions options,
                                                  const rpc::Registry* registry = nullptr);
  // close() without running on_lost, then releases the socket. Destroy it from outside its
  // own callbacks.
  ~Channel() override;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // The connection's Session; valid for the Channel's lifetime (after loss, start_call
  // fails with kUnavailable).
  rpc::Session& session() { return peer_->session(); }
  net::Loop& loop() { return loop_; }

  // rpc::call_unary / rpc::start_call (rpc/client.h) on session(), at the loop's time.
  template <class Req, class Resp>
  Result<rpc::ClientCall<Req, Resp>> call_unary(rpc::CallOptions options,
                                                const Req& request,
                                                std::function<void(rpc::UnaryResult<Resp>)> done) {
    return rpc::call_unary<Req, Resp>(
        session(), std::move(options), request, std::move(done), loop_.now());
  }
  template <class Req, class Resp>
  Result<rpc::ClientCall<Req, Resp>> start_call(rpc::CallOptions options,
                                                rpc::ClientCallbacks<Resp> callbacks) {
    return rpc::start_call<Req, Resp>(
        session(), std::move(options), std::move(callbacks), loop_.now());
  }

  bool connected() const { return peer_->open(); }  // handshake done, not lost
  // The handshake completed at some point (stays true after loss): one real QUIC handshake.
  bool handshake_completed() const { return peer_->was_open(); }
  bool lost() const { return peer_->lost(); }
  // Replaces the loss callback. If the connection is already lost, `fn` runs on a later turn.
  void on_lost(LostFn fn);

  const std::string& connection_id() const { return peer_->info().id; }
  // Liveness (issue 18): an ack-eliciting PING on the connection now (quic::Connection::
  // ping); false when there is no open connection to probe. A live server answers within
  // its max_ack_delay; a closed port answers ICMP, which loses the connection.
  bool probe();
  // When the connection last received a packet (0 = never, or no connection); the loop's
  // now if a datagram waits unread in its socket (this loop ran late, not the peer).
  Timestamp last_heard();
  // Its QUIC probe timeout now (quic::Connection::pto); 0 without a connection.
  Duration pto();
  // Moves the connection to a new local port (net::ClientEndpoint::migrate); calls go on.
  Result<void> migrate();
  // Closes the connection (CONNECTION_CLOSE); open calls end UNAVAILABLE and on_lost runs
  // before this returns. Idempotent.
  void close();

 private:
  explicit Channel(net::Loop& loop);

  // net::ConnectionHandler (the endpoint's default handler; the Peer takes over the conn)
  void on_connection(net::Conn& conn) override;
  void on_event(net::Conn& /*conn*/, quic::Event& /*event*/) override {}
  // detail::PeerObserver
  void on_peer_open(detail::Peer& /*peer*/) override {}
  void on_peer_closed(detail::Peer& peer, const quic::ConnectionClosed& closed) override;

  net::Loop& loop_;
  const rpc::Registry* registry_ = nullptr;
  rpc::SessionConfig session_config_;
  net::TimerQueue timers_;  // rpc deadlines of this one connection
  std::unique_ptr<detail::Peer> peer_;
  LostFn on_lost_;
  quic::ConnectionClosed closed_;                  // why it was lost, once lost()
  Alive alive_;                                    // deferred callbacks check it
  std::unique_ptr<net::ClientEndpoint> endpoint_;  // last: destroyed first
};

}  // namespace connswap::rpcnet
