#include "worker/director_channel.h"

#include "base/log.h"
#include "common/tls_files.h"

namespace connswap::app {

DirectorChannel::DirectorChannel(net::Loop& loop,
                                 std::shared_ptr<const quic::TlsContext> tls,
                                 std::string director_mgmt_addr)
    : loop_(loop), tls_(std::move(tls)), addr_(std::move(director_mgmt_addr)) {}

DirectorChannel::~DirectorChannel() = default;  // a Channel's destructor runs no on_lost

Result<rpc::Session*> DirectorChannel::session(Timestamp /*now*/) {
  if (channel_ != nullptr && !channel_->lost()) {
    return &channel_->session();
  }
  retire();
  auto remote = Address::parse(addr_);
  if (!remote) {
    return Unexpected(std::move(remote).error());
  }
  rpcnet::ChannelOptions options;
  options.remote = *remote;
  options.quic.tls = tls_;
  options.quic.server_name = host_of(addr_);
  auto channel = rpcnet::Channel::connect(loop_, std::move(options));
  if (!channel) {
    return Unexpected(std::move(channel).error());
  }
  rpcnet::Channel* raw = channel->get();
  (*channel)->on_lost([this, raw, alive = alive_.weak()](const quic::ConnectionClosed& closed) {
    if (alive.expired() || channel_.get() != raw) {
      return;
    }
    log::get("worker").debug(
        "director={} reason=\"{}\": MGMT connection lost", addr_, closed.reason);
    retire();
    if (on_lost_) {
      on_lost_(loop_.now());
    }
  });
  channel_ = std::move(*channel);
  return &channel_->session();
}

void DirectorChannel::retire() {
  if (channel_ == nullptr) {
    return;
  }
  retired_.push_back(std::move(channel_));
  if (retired_.size() == 1) {
    loop_.post([this, alive = alive_.weak()] {
      if (!alive.expired()) {
        retired_.clear();
      }
    });
  }
}

void DirectorChannel::close() {
  if (channel_ != nullptr) {
    channel_->on_lost(nullptr);
    channel_->close();
  }
}

}  // namespace connswap::app
