#pragma once
// rpcnet::Server: serves one rpc::Registry on one UDP port. Every accepted QUIC connection
// gets its own rpc::Session; call deadlines of all of them share one loop timer. Several
// Servers (say USER and MGMT, each with its own registry and TLS policy) may run on one
// net::Loop. Everything runs on the loop thread; not thread-safe.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "base/address.h"
#include "base/alive.h"
#include "base/error.h"
#include "net/conn.h"
#include "net/loop.h"
#include "net/server.h"
#include "net/timer_queue.h"
#include "quic/connection.h"
#include "rpc/registry.h"
#include "rpc/session.h"
#include "rpcnet/connection_info.h"
#include "rpcnet/detail/peer.h"

namespace connswap::rpcnet {

// Optional per-connection notifications, run on the loop thread.
struct ConnectionHooks {
  // The handshake completed: the connection serves calls from now on.
  std::function<void(const ConnectionInfo&)> on_open;
  // A connection that was opened has closed; its open calls already ended UNAVAILABLE.
  std::function<void(const ConnectionInfo&, const quic::ConnectionClosed&)> on_close;
};

struct ServerOptions {
  Address listen;           // port 0 picks a free port; see local_address()
  quic::ServerConfig quic;  // transport, TLS (client_ca_file set = mTLS), reset secret
  net::SocketOptions socket;
  rpc::SessionConfig session;  // frame size limit, per-call send high-water mark
  ConnectionHooks hooks;
  net::AdmissionLimits admission;  // connection caps and Retry (default: none)
};

class Server final : private net::ConnectionHandler, private detail::PeerObserver {
 public:
  // Binds and starts serving `registry` (not owned; must outlive the Server). Errors:
  // kInvalidArgument (bad config, or quic send_low_water above session send_high_water),
  // kIo (bind failed).
  static Result<std::unique_ptr<Server>> listen(net::Loop& loop,
                                                ServerOptions options,
                                                const rpc::Registry& registry);
  // Calls stop(). Destroy it from outside its own callbacks.
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  const Address& local_address() const { return endpoint_->local_address(); }
  // Connections whose handshake completed and that are still up.
  std::size_t connection_count() const;
  // The listener's counters (accepted, Retries, refusals by AdmissionLimits).
  const net::ServerEndpoint::Stats& endpoint_stats() const { return endpoint_->stats(); }
  // Connections the listener holds, closing ones included (what its caps count).
  std::size_t listener_connections() const { return endpoint_->connection_count(); }

  // Closes every connection (the peers' calls see UNAVAILABLE; ours end UNAVAILABLE too)
  // and the socket. on_close hooks run before this returns. Idempotent.
  void stop();
  bool stopped() const { return endpoint_->stopped(); }

 private:
  Server(net::Loop& loop, ServerOptions options, const rpc::Registry& registry);

  // net::ConnectionHandler (the endpoint's default handler; each Peer takes over its conn)
  void on_connection(net::Conn& conn) override;
  void on_event(net::Conn& /*conn*/, quic::Event& /*event*/) override {}
  // detail::PeerObserver
  void on_peer_open(detail::Peer& peer) override;
  void on_peer_closed(detail::Peer& peer, const quic::ConnectionClosed& closed) override;

  void on_deadline(std::uint64_t key, Timestamp now);

  net::Loop& loop_;
  const rpc::Registry& registry_;
  rpc::SessionConfig session_config_;
  ConnectionHooks hooks_;
  net::TimerQueue timers_;  // rpc deadlines, by connection key
  std::unordered_map<std::uint64_t, std::unique_ptr<detail::Peer>> peers_;
  std::vector<std::unique_ptr<detail::Peer>> dead_;  // closed; destroyed on a later turn
  Alive alive_;                                      // deferred callbacks check it
  std::unique_ptr<net::ServerEndpoint> endpoint_;    // last: destroyed first
};

}  // namespace connswap::rpcnet
