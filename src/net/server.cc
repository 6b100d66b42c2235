#include "net/server.h"

#include <algorithm>

#include "base/log.h"
#include "quic/packet.h"

namespace connswap::net {
namespace {

spdlog::logger& logger() {
  return log::get("net");
}

std::string route_key(ByteSpan cid) {
  return std::string(as_string(cid));
}

// RFC 9000 §14.1: a client Initial is padded to 1200 bytes; anything smaller that claims
// an unknown version is not worth a Version Negotiation packet.
constexpr std::size_t kMinInitialBytes = 1200;

// A token bucket refilled at `rate` per second up to `rate`; takes one token if it can.
bool take_token(double& tokens, Timestamp& refilled_at, double rate, Timestamp now) {
  if (now > refilled_at) {
    tokens = std::min(
        rate,
        tokens + rate * static_cast<double>(now - refilled_at) / static_cast<double>(kSecond));
    refilled_at = now;
  }
  if (tokens < 1.0) {
    return false;
  }
  tokens -= 1.0;
  return true;
}

// The per-address cap counts source IPs, whatever the port.
std::string ip_of(Address address) {
  address.set_port(0);
  return address.to_string();
}

}  // namespace

Result<std::unique_ptr<ServerEndpoint>> ServerEndpoint::listen(Loop& loop,
                                                               const ServerOptions& options,
                                                               ConnectionHandler& handler) {
  if (!options.quic.tls || !options.quic.tls->is_server()) {
    return make_error(Errc::kInvalidArgument, "server: no server TLS context");
  }
  if (options.quic.static_secret.size() < 32) {
    return make_error(Errc::kInvalidArgument, "server: static secret shorter than 32 bytes");
  }
  auto socket = UdpSocket::open(loop, options.listen, options.socket);
  if (!socket) {
    return Unexpected(std::move(socket).error());
  }
  std::unique_ptr<ServerEndpoint> server(
      new ServerEndpoint(loop, options, handler, std::move(*socket)));
  server->start_reading(kTag);
  logger().info("server listening on {} gso={} gro={}",
                server->local_address().to_string(),
                server->socket_->gso_enabled(),
                server->socket_->gro_enabled());
  return server;
}

ServerEndpoint::ServerEndpoint(Loop& loop,
                               const ServerOptions& options,
                               ConnectionHandler& handler,
                               std::unique_ptr<UdpSocket> socket)
    : Endpoint(loop, handler),
      options_(options),
      socket_(std::move(socket)),
      handshake_tokens_(options.admission.retry_above_per_second),
      handshake_refill_at_(loop.now()),
      reset_tokens_(options.max_resets_per_second),
      reset_refill_at_(loop.now()),
      scratch_(2048) {}

ServerEndpoint::~ServerEndpoint() {
  stop();
}

void ServerEndpoint::stop() {
  if (stopped()) {
    return;
  }
  Endpoint::stop();
  socket_->close();
}

UdpSocket* ServerEndpoint::socket_by_tag(std::uintptr_t tag) {
  return tag == kTag && socket_ ? socket_.get() : nullptr;
}

void ServerEndpoint::on_datagram(std::uintptr_t tag, const Address& from, ByteSpan datagram) {
  if (stopped()) {
    return;
  }
  auto header = quic::decode_header(datagram);
  if (!header) {
    ++stats_.dropped;
    logger().debug("dropped {} bytes from {}: {}",
                   datagram.size(),
                   from.to_string(),
                   header.error().message());
    return;
  }
  const quic::Path path{socket_->local(), from, tag};
  auto route = routes_.find(route_key(header->dcid));
  if (route != routes_.end()) {
    if (Conn* conn = find(route->second)) {
      deliver(*conn, path, datagram);
      return;
    }
  }
  if (!header->long_header) {
    answer_unknown(from, header->dcid, datagram);
  } else if (!header->supported_version) {
    answer_version(from, datagram);
  } else if (quic::accept_initial(datagram)) {
    accept(path, datagram);
  } else {
    ++stats_.dropped;
    logger().debug("dropped unroutable long header from {}", from.to_string());
  }
}

void ServerEndpoint::accept(const quic::Path& path, ByteSpan datagram) {
  auto initial = quic::decode_initial(datagram);
  if (!initial) {
    ++stats_.dropped;
    return;
  }
  Bytes retry_odcid;
  if (!admit(path, *initial, retry_odcid)) {
    return;
  }
  auto conn = quic::Connection::accept(options_.quic, path, datagram, loop().now(), retry_odcid);
  if (!conn) {
    ++stats_.dropped;
    logger().debug("accept from {} failed: {}", path.remote.to_string(), conn.error().message());
    return;
  }
  ++stats_.accepted;
  Conn& c = adopt(std::move(*conn));
  // The client keeps using its chosen DCID until it learns ours (RFC 9000 §7.2).
  add_route(c, initial->dcid);
  auto ip = ip_of(path.remote);
  ++per_address_[ip];
  conn_address_.emplace(c.key(), std::move(ip));
  logger().debug("conn={} accepted from {}", c.id(), path.remote.to_string());
}

bool ServerEndpoint::admit(const quic::Path& path,
                           const quic::InitialHeader& initial,
                           Bytes& retry_odcid) {
  const AdmissionLimits& limits = options_.admission;
  if (quic::is_retry_token(initial.token)) {
    auto odcid =
        quic::verify_retry_token(options_.quic.static_secret, initial, path.remote, loop().now());
    if (!odcid) {
      ++stats_.invalid_tokens;  // forged, replayed from elsewhere, or expired: no answer
      logger().debug("invalid Retry token from {}", path.remote.to_string());
      return false;
    }
    retry_odcid = std::move(*odcid);
  } else if (limits.retry_above_per_second != AdmissionLimits::kNeverRetry &&
             !take_handshake_token()) {
    send_retry(path.remote, initial);
    return false;
  }
  return !over_cap(path.remote, initial);
}

bool ServerEndpoint::over_cap(const Address& from, const quic::InitialHeader& initial) {
  const AdmissionLimits& limits = options_.admission;
  if (limits.max_connections != 0 && connection_count() >= limits.max_connections) {
    ++stats_.refused_connections;
    refuse(from, initial, "server at its connection limit");
    return true;
  }
  if (limits.max_connections_per_address != 0) {
    auto it = per_address_.find(ip_of(from));
    if (it != per_address_.end() && it->second >= limits.max_connections_per_address) {
      ++stats_.refused_per_address;
      refuse(from, initial, "too many connections from this address");
      return true;
    }
  }
  return false;
}

void ServerEndpoint::refuse(const Address& from,
                            const quic::InitialHeader& initial,
                            std::string_view why) {
  logger().debug("refused a connection from {}: {}", from.to_string(), why);
  auto n = quic::write_refusal(scratch_, initial, why);
  if (n && *n > 0) {
    (void)socket_->send(from, ByteSpan(scratch_.data(), *n), *n);
  }
}

void ServerEndpoint::send_retry(const Address& from, const quic::InitialHeader& initial) {
  auto n = quic::write_retry(scratch_, options_.quic.static_secret, initial, from, loop().now());
  if (!n || *n == 0) {
    ++stats_.dropped;
    return;
  }
  ++stats_.retries;
  (void)socket_->send(from, ByteSpan(scratch_.data(), *n), *n);
}

bool ServerEndpoint::take_handshake_token() {
  return take_token(handshake_tokens_,
                    handshake_refill_at_,
                    options_.admission.retry_above_per_second,
                    loop().now());
}

void ServerEndpoint::answer_unknown(const Address& from, const Bytes& dcid, ByteSpan datagram) {
  if (!take_reset_token()) {
    ++stats_.dropped;
    return;
  }
  auto n =
      quic::write_stateless_reset(scratch_, options_.quic.static_secret, dcid, datagram.size());
  if (!n || *n == 0) {
    ++stats_.dropped;  // too small to answer without amplification, or not resettable
    return;
  }
  ++stats_.stateless_resets;
  logger().debug("stateless reset to {} ({} bytes)", from.to_string(), *n);
  (void)socket_->send(from, ByteSpan(scratch_.data(), *n), *n);
}

void ServerEndpoint::answer_version(const Address& from, ByteSpan datagram) {
  if (datagram.size() < kMinInitialBytes) {
    ++stats_.dropped;
    return;
  }
  auto n = quic::write_version_negotiation(scratch_, datagram);
  if (!n || *n == 0) {
    ++stats_.dropped;
    return;
  }
  ++stats_.version_negotiations;
  (void)socket_->send(from, ByteSpan(scratch_.data(), *n), *n);
}

bool ServerEndpoint::take_reset_token() {
  return take_token(reset_tokens_, reset_refill_at_, options_.max_resets_per_second, loop().now());
}

void ServerEndpoint::add_route(Conn& conn, const Bytes& cid) {
  auto key = route_key(cid);
  if (routes_.emplace(key, conn.key()).second) {
    cids_[conn.key()].push_back(std::move(key));
  }
}

void ServerEndpoint::on_cid_change(Conn& conn, const quic::CidChange& change) {
  if (change.added) {
    add_route(conn, change.cid);
    return;
  }
  auto key = route_key(change.cid);
  auto it = routes_.find(key);
  if (it != routes_.end() && it->second == conn.key()) {
    routes_.erase(it);
    auto& list = cids_[conn.key()];
    list.erase(std::remove(list.begin(), list.end(), key), list.end());
  }
}

void ServerEndpoint::on_retire(Conn& conn) {
  if (auto ip = conn_address_.find(conn.key()); ip != conn_address_.end()) {
    auto count = per_address_.find(ip->second);
    if (count != per_address_.end() && --count->second == 0) {
      per_address_.erase(count);
    }
    conn_address_.erase(ip);
  }
  auto it = cids_.find(conn.key());
  if (it == cids_.end()) {
    return;
  }
  for (const auto& key : it->second) {
    auto route = routes_.find(key);
    if (route != routes_.end() && route->second == conn.key()) {
      routes_.erase(route);
    }
  }
  cids_.erase(it);
}

}  // namespace connswap::net
