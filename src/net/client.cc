#include "net/client.h"

#include <algorithm>
#include <variant>

#include <netinet/in.h>

#include "base/log.h"

namespace connswap::net {
namespace {

spdlog::logger& logger() {
  return log::get("net");
}

Address any_address(const Address& like) {
  Address a;
  a.storage.ss_family = static_cast<sa_family_t>(like.family());
  a.len = like.family() == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  return a;  // zeroed: INADDR_ANY / in6addr_any, port 0
}

}  // namespace

Result<std::unique_ptr<ClientEndpoint>> ClientEndpoint::connect(Loop& loop,
                                                                const ClientOptions& options,
                                                                ConnectionHandler& handler) {
  if (!options.quic.tls || options.quic.tls->is_server()) {
    return make_error(Errc::kInvalidArgument, "client: no client TLS context");
  }
  if (options.remote.empty()) {
    return make_error(Errc::kInvalidArgument, "client: no server address");
  }
  std::unique_ptr<ClientEndpoint> client(new ClientEndpoint(loop, options, handler));
  auto tag =
      client->open_socket(options.local.empty() ? any_address(options.remote) : options.local);
  if (!tag) {
    return Unexpected(std::move(tag).error());
  }
  const UdpSocket& s = *client->sockets_.back().socket;
  const quic::Path path{s.local(), s.remote(), *tag};
  auto quic = quic::Connection::connect(options.quic, path, loop.refresh_now());
  if (!quic) {
    return Unexpected(std::move(quic).error());
  }
  client->conn_key_ = client->adopt(std::move(*quic)).key();
  logger().debug("client {} -> {} gso={} gro={}",
                 s.local().to_string(),
                 s.remote().to_string(),
                 s.gso_enabled(),
                 s.gro_enabled());
  return client;
}

ClientEndpoint::ClientEndpoint(Loop& loop, const ClientOptions& options, ConnectionHandler& handler)
    : Endpoint(loop, handler), options_(options) {}

ClientEndpoint::~ClientEndpoint() {
  stop();
}

void ClientEndpoint::stop() {
  if (stopped()) {
    return;
  }
  Endpoint::stop();
  for (auto& slot : sockets_) {
    slot.socket->close();
  }
}

Result<std::uintptr_t> ClientEndpoint::open_socket(const Address& local) {
  auto socket = UdpSocket::open(loop(), local, options_.socket);
  if (!socket) {
    return Unexpected(std::move(socket).error());
  }
  auto connected = (*socket)->connect(options_.remote);
  if (!connected) {
    return Unexpected(std::move(connected).error());
  }
  const std::uintptr_t tag = next_tag_++;
  sockets_.push_back(Slot{tag, std::move(*socket)});
  start_reading(tag);
  return tag;
}

Result<void> ClientEndpoint::migrate() {
  Conn* c = conn();
  if (c == nullptr) {
    return make_error(Errc::kClosed, "client: no connection");
  }
  if (migrating_tag_ != 0) {
    return make_error(Errc::kInvalidArgument, "client: migration already in progress");
  }
  Address local = sockets_.back().socket->local();
  local.set_port(0);
  auto tag = open_socket(local);
  if (!tag) {
    return Unexpected(std::move(tag).error());
  }
  const UdpSocket& s = *sockets_.back().socket;
  const quic::Path path{s.local(), s.remote(), *tag};
  auto r = c->quic().migrate(path, loop().refresh_now());
  if (!r) {
    drop_sockets_except(sockets_.front().tag);
    return r;
  }
  migrating_tag_ = *tag;
  c->mark_dirty();
  logger().info("conn={} migrating to {}", c->id(), s.local().to_string());
  return {};
}

UdpSocket* ClientEndpoint::socket_by_tag(std::uintptr_t tag) {
  for (auto& slot : sockets_) {
    if (slot.tag == tag) {
      return slot.socket.get();
    }
  }
  return nullptr;
}

void ClientEndpoint::on_datagram(std::uintptr_t tag, const Address& from, ByteSpan datagram) {
  Conn* c = conn();
  UdpSocket* s = socket_by_tag(tag);
  if (c == nullptr || s == nullptr) {
    return;
  }
  deliver(*c, quic::Path{s->local(), from, tag}, datagram);
}

void ClientEndpoint::on_socket_error(std::uintptr_t tag, const Error& error) {
  Conn* c = conn();
  if (c != nullptr && error.code == Errc::kPeerGone) {
    peer_gone(*c, error.detail);
    return;
  }
  Endpoint::on_socket_error(tag, error);
}

void ClientEndpoint::before_event(Conn& conn, const quic::Event& event) {
  const auto* validated = std::get_if<quic::PathValidated>(&event);
  if (validated == nullptr || migrating_tag_ == 0 || validated->path.tag != migrating_tag_) {
    return;
  }
  const std::uintptr_t tag = migrating_tag_;
  migrating_tag_ = 0;
  if (validated->ok) {
    logger().info("conn={} migrated to {}", conn.id(), validated->path.local.to_string());
    drop_sockets_except(tag);
  } else {
    logger().warn("conn={} migration to {} failed", conn.id(), validated->path.local.to_string());
    // Keep every socket but the failed one.
    auto it = std::find_if(
        sockets_.begin(), sockets_.end(), [tag](const Slot& s) { return s.tag == tag; });
    if (it != sockets_.end()) {
      retire_socket(std::move(it->socket));
      sockets_.erase(it);
    }
  }
}

bool ClientEndpoint::has_unread() const {
  return std::any_of(
      sockets_.begin(), sockets_.end(), [](const Slot& s) { return s.socket->has_unread(); });
}

void ClientEndpoint::drop_sockets_except(std::uintptr_t keep) {
  for (auto it = sockets_.begin(); it != sockets_.end();) {
    if (it->tag == keep) {
      ++it;
      continue;
    }
    retire_socket(std::move(it->socket));
    it = sockets_.erase(it);
  }
}

}  // namespace connswap::net
