#include "director/worker_channels.h"

#include <algorithm>
#include <string>
#include <vector>

#include "base/log.h"
#include "common/tls_files.h"

namespace connswap::app {
WorkerChannels::WorkerChannels(net::Loop& loop,
                               std::shared_ptr<const quic::TlsContext> tls,
                               const quic::TransportSettings& transport,
                               std::size_t connections)
    : loop_(loop),
      tls_(std::move(tls)),
      transport_(transport),
      connections_(std::max<std::size_t>(connections, 1)) {}

WorkerChannels::~WorkerChannels() = default;  // a Channel's destructor runs no on_lost

std::vector<std::string> WorkerChannels::keys_of(std::string_view user_addr) const {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < connections_; ++i) {
    keys.push_back(std::string(user_addr) + "#" + std::to_string(i));
  }
  return keys;
}

Result<rpc::Session*> WorkerChannels::connect(std::string_view user_addr, Timestamp /*now*/) {
  // Each call on the next connection in turn (one connection: always the same).
  auto slot = next_.try_emplace(std::string(user_addr), 0).first;
  const std::string key = std::string(user_addr) + "#" + std::to_string(slot->second);
  slot->second = (slot->second + 1) % connections_;
  if (auto it = channels_.find(key); it != channels_.end()) {
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

// With several connections: every live one is probed, a packet on any is an answer, and
// the wait is the longest PTO of them.
bool WorkerChannels::probe(std::string_view user_addr, Timestamp /*now*/) {
  bool sent = false;
  for (const std::string& key : keys_of(user_addr)) {
    auto it = channels_.find(key);
    if (it != channels_.end() && !it->second->lost() && it->second->probe()) {
      sent = true;
    }
  }
  return sent;
}

Timestamp WorkerChannels::last_heard(std::string_view user_addr) {
  Timestamp heard = 0;
  for (const std::string& key : keys_of(user_addr)) {
    if (auto it = channels_.find(key); it != channels_.end()) {
      heard = std::max(heard, it->second->last_heard());
    }
  }
  return heard;
}

Duration WorkerChannels::pto(std::string_view user_addr) {
  Duration pto = 0;
  for (const std::string& key : keys_of(user_addr)) {
    if (auto it = channels_.find(key); it != channels_.end()) {
      pto = std::max(pto, it->second->pto());
    }
  }
  return pto;
}

void WorkerChannels::retire(const std::string& key) {
  auto it = channels_.find(key);
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
