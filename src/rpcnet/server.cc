#include "rpcnet/server.h"

#include "base/log.h"

namespace connswap::rpcnet {

Server::Server(net::Loop& loop, ServerOptions options, const rpc::Registry& registry)
    : loop_(loop),
      registry_(registry),
      session_config_(options.session),
      hooks_(std::move(options.hooks)),
      timers_(loop, [this](std::uint64_t key, Timestamp now) { on_deadline(key, now); }) {}

Result<std::unique_ptr<Server>> Server::listen(net::Loop& loop,
                                               ServerOptions options,
                                               const rpc::Registry& registry) {
  CONNSWAP_TRY(detail::check_watermarks(options.quic.transport, options.session));
  net::ServerOptions net_options;
  net_options.listen = options.listen;
  net_options.quic = std::move(options.quic);
  net_options.socket = options.socket;
  net_options.admission = options.admission;
  std::unique_ptr<Server> server(new Server(loop, std::move(options), registry));
  auto endpoint = net::ServerEndpoint::listen(loop, net_options, *server);
  if (!endpoint) {
    return Unexpected(std::move(endpoint).error());
  }
  server->endpoint_ = std::move(*endpoint);
  log::get("rpcnet").info("serving on {}", server->local_address().to_string());
  return server;
}

Server::~Server() {
  stop();
  endpoint_.reset();  // before the peers its connections point at
}

std::size_t Server::connection_count() const {
  std::size_t n = 0;
  for (const auto& [key, peer] : peers_) {
    n += peer->open() ? 1 : 0;
  }
  return n;
}

void Server::stop() {
  if (endpoint_ != nullptr) {
    endpoint_->stop();
  }
}

void Server::on_connection(net::Conn& conn) {
  auto peer = std::make_unique<detail::Peer>(
      conn, &registry_, session_config_, timers_, static_cast<detail::PeerObserver&>(*this));
  peers_.emplace(conn.key(), std::move(peer));
}

void Server::on_peer_open(detail::Peer& peer) {
  log::get("rpcnet").debug("conn={} open from {} (client certificate: {})",
                           peer.info().id,
                           peer.info().peer.to_string(),
                           peer.info().client_certificate);
  if (hooks_.on_open) {
    hooks_.on_open(peer.info());
  }
}

void Server::on_peer_closed(detail::Peer& peer, const quic::ConnectionClosed& closed) {
  if (peer.was_open() && hooks_.on_close) {
    hooks_.on_close(peer.info(), closed);
  }
  auto it = peers_.find(peer.key());
  if (it == peers_.end()) {
    return;
  }
  // The endpoint is still inside this Peer's on_closed: destroy it on a later turn.
  dead_.push_back(std::move(it->second));
  peers_.erase(it);
  if (dead_.size() == 1) {
    loop_.post([this, alive = alive_.weak()] {
      if (!alive.expired()) {
        dead_.clear();
      }
    });
  }
}

void Server::on_deadline(std::uint64_t key, Timestamp now) {
  if (auto it = peers_.find(key); it != peers_.end()) {
    it->second->on_deadline(now);
  }
}

}  // namespace connswap::rpcnet
