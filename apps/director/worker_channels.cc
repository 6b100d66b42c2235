#include "director/worker_channels.h"

#include "base/log.h"
#include "common/tls_files.h"

namespace connswap::app {
WorkerChannels::WorkerChannels(net::Loop& loop,
                               std::shared_ptr<const quic::TlsContext> tls,
                               const quic::TransportSettings& transport)
    : loop_(loop), tls_(std::move(tls)), transport_(transport) {}

WorkerChannels::~WorkerChannels() = default;  // a Channel's destructor runs no on_lost

Result<rpc::Session*> WorkerChannels::connect(std::string_view user_addr, Timestamp /*now*/) {
  if (auto it = channels_.find(user_addr); it != channels_.end()) {
    if (!it->second->lost()) {
      return &it->second->session();
    }
    retire(it->first);
  }
  auto remote = Address::parse(user_addr);
  if (!remote) {
    return Unexpected(std::move(remote).error());
  }
  rpcnet::ChannelOptions options;
  options.remote = *remote;
  options.quic.tls = tls_;
  options.quic.server_name = host_of(user_addr);
  // transport_.keepalive: a PING whenever the connection is quiet this long (a crashed
  // worker's host answers with ICMP port-unreachable, so the loss shows within ~this instead
  // of a stall deadline); stream_window: what one worker call may send ahead (issue 15).
  options.quic.transport = transport_;
  auto channel = rpcnet::Channel::connect(loop_, std::move(options));
  if (!channel) {
    return Unexpected(std::move(channel).error());
  }
  const std::string key(user_addr);
  rpcnet::Channel* raw = channel->get();
  (*channel)->on_lost(
      [this, key, raw, alive = alive_.weak()](const quic::ConnectionClosed& closed) {
        if (alive.expired()) {
          return;
        }
        log::get("director")
            .debug("worker_addr={} reason=\"{}\": worker connection lost", key, closed.reason);
        // The service may already have replaced it (connect() while its calls were ending).
        if (auto it = channels_.find(key); it != channels_.end() && it->second.get() == raw) {
          retire(key);
        }
      });
  rpc::Session* session = &(*channel)->session();
  log::get("director").debug("worker_addr={}: connecting to worker", user_addr);
  channels_[key] = std::move(*channel);
  return session;
}

bool WorkerChannels::probe(std::string_view user_addr, Timestamp /*now*/) {
  auto it = channels_.find(user_addr);
  return it != channels_.end() && !it->second->lost() && it->second->probe();
}

Timestamp WorkerChannels::last_heard(std::string_view user_addr) {
  auto it = channels_.find(user_addr);
  return it != channels_.end() ? it->second->last_heard() : 0;
}

Duration WorkerChannels::pto(std::string_view user_addr) {
  auto it = channels_.find(user_addr);
  return it != channels_.end() ? it->second->pto() : 0;
}

void WorkerChannels::retire(const std::string& user_addr) {
  auto it = channels_.find(user_addr);
  if (it == channels_.end()) {
    return;
  }
  retired_.push_back(std::move(it->second));
  channels_.erase(it);
  if (retired_.size() == 1) {
    loop_.post([this, alive = alive_.weak()] {
      if (!alive.expired()) {
        retired_.clear();
      }
    });
  }
}

void WorkerChannels::close_all() {
  for (auto& [addr, channel] : channels_) {
    channel->on_lost(nullptr);
    channel->close();
  }
}

}  // namespace connswap::app
