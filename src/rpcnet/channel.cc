#include "rpcnet/channel.h"

#include "base/check.h"

namespace connswap::rpcnet {

Channel::Channel(net::Loop& loop)
    : loop_(loop), timers_(loop, [this](std::uint64_t /*key*/, Timestamp now) {
        if (peer_ != nullptr) {
          peer_->on_deadline(now);
        }
      }) {}

Result<std::unique_ptr<Channel>> Channel::connect(net::Loop& loop,
                                                  ChannelOptions options,
                                                  const rpc::Registry* registry) {
  CONNSWAP_TRY(detail::check_watermarks(options.quic.transport, options.session));
  std::unique_ptr<Channel> channel(new Channel(loop));
  channel->registry_ = registry;
  channel->session_config_ = options.session;
  net::ClientOptions net_options;
  net_options.remote = options.remote;
  net_options.local = options.local;
  net_options.quic = std::move(options.quic);
  net_options.socket = options.socket;
  loop.refresh_now();
  auto endpoint = net::ClientEndpoint::connect(loop, net_options, *channel);
  if (!endpoint) {
    return Unexpected(std::move(endpoint).error());
  }
  channel->endpoint_ = std::move(*endpoint);
  CONNSWAP_CHECK(channel->peer_ != nullptr, "ClientEndpoint::connect reported no connection");
  return channel;
}

Channel::~Channel() {
  on_lost_ = nullptr;  // destruction is not a loss the owner needs to hear about
  close();
  endpoint_.reset();  // before the Peer its connection points at
}

void Channel::on_lost(LostFn fn) {
  on_lost_ = std::move(fn);
  if (lost() && on_lost_) {
    loop_.post([this, alive = alive_.weak()] {
      if (!alive.expired() && on_lost_) {
        LostFn once = std::move(on_lost_);
        once(closed_);
      }
    });
  }
}

bool Channel::probe() {
  net::Conn* conn = connected() ? endpoint_->conn() : nullptr;
  if (conn == nullptr) {
    return false;
  }
  conn->quic().ping();
  conn->mark_dirty();
  return true;
}

Duration Channel::pto() {
  net::Conn* conn = endpoint_ != nullptr ? endpoint_->conn() : nullptr;
  return conn != nullptr ? conn->quic().pto() : 0;
}

Timestamp Channel::last_heard() {
  net::Conn* conn = endpoint_ != nullptr ? endpoint_->conn() : nullptr;
  if (conn == nullptr) {
    return 0;
  }
  return endpoint_->has_unread() ? loop_.now() : conn->quic().last_received();
}

Result<void> Channel::migrate() {
  if (!connected()) {
    return make_error(Errc::kUnavailable, "not connected");
  }
  return endpoint_->migrate();
}

void Channel::close() {
  if (endpoint_ != nullptr) {
    endpoint_->stop();
  }
}

void Channel::on_connection(net::Conn& conn) {
  peer_ = std::make_unique<detail::Peer>(
      conn, registry_, session_config_, timers_, static_cast<detail::PeerObserver&>(*this));
}

void Channel::on_peer_closed(detail::Peer& /*peer*/, const quic::ConnectionClosed& closed) {
  closed_ = closed;
  if (on_lost_) {
    LostFn fn = std::move(on_lost_);  // runs once
    fn(closed);
  }
}

}  // namespace connswap::rpcnet
