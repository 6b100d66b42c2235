#include "runner.h"

#include <algorithm>

#include "base/address.h"
#include "base/log.h"

namespace connswap::app {
namespace {

spdlog::logger& logger() {
  return log::get("client");
}

constexpr Duration kMaxBackoff = 2 * kSecond;

}  // namespace

ClientRunner::ClientRunner(net::Loop& loop,
                           const ClientArgs& args,
                           std::shared_ptr<const quic::TlsContext> tls,
                           std::string connection_id)
    : loop_(loop),
      args_(args),
      tls_(std::move(tls)),
      connection_id_(std::move(connection_id)),
      driver_(loop) {}

ClientRunner::~ClientRunner() {
  client_.reset();  // cancels calls still open, before their Sessions go
}

Result<void> ClientRunner::connect(std::size_t index) {
  if (channel_ != nullptr) {
    channel_->close();
    old_channels_.push_back(std::move(channel_));
  }
  director_ = index;
  const std::string& director = args_.directors[index];
  rpcnet::ChannelOptions options;
  options.remote = *Address::parse(director);
  options.quic.tls = tls_;
  options.quic.server_name = args_.server_name;
  options.quic.transport.keepalive = args_.keepalive;
  auto channel = rpcnet::Channel::connect(loop_, std::move(options));
  if (!channel) {
    return make_error(channel.error().code, "connect " + director + ": " + channel.error().detail);
  }
  (*channel)->on_lost([this, director](const quic::ConnectionClosed& closed) {
    logger().warn("connection.id={} director={} reason=\"{}\": 🔌 director connection lost",
                  connection_id_,
                  director,
                  closed.reason);
  });
  channel_ = std::move(*channel);
  logger().info("connection.id={} director={}: connecting", connection_id_, director);
  return {};
}

Result<void> ClientRunner::start() {
  CONNSWAP_TRY(connect(0));
  services::GenerateClientConfig config;
  config.connection_id = connection_id_;
  config.streams = args_.streams;
  config.request.prompt = args_.prompt;
  config.request.max_tokens = args_.max_tokens;
  config.timeout = args_.timeout;
  config.resume = args_.resume;
  client_ = std::make_unique<services::GenerateClient>(config, channel_->session());
  client_->on_finished([this] { loop_.stop(); });
  client_->on_interrupted([this] { schedule_recovery(); });
  loop_.on_stop_signal([this](int signo) {
    if (!interrupted_) {
      interrupted_ = true;
      logger().warn("connection.id={} signal={}: cancelling streams", connection_id_, signo);
      client_->cancel();  // every call ends CANCELLED; on_finished stops the loop
    }
  });
  driver_.add([this] { return recover_at_; }, [this](Timestamp now) { recover(now); });
  if (args_.rebind_every != 0) {
    driver_.every(args_.rebind_every, [this](Timestamp) { rebind(); });
  }
  loop_.refresh_now();
  return client_->start(loop_.now());
}

void ClientRunner::run() {
  driver_.run();
}

// Exponential backoff from reconnect_backoff, doubling per attempt in a row, up to 2 s.
void ClientRunner::schedule_recovery() {
  if (recover_at_ != kNever || interrupted_) {
    return;
  }
  const std::uint32_t shift = std::min<std::uint32_t>(attempts_, 16);
  // Clamped before the shift: a huge --reconnect-backoff-ms must not wrap around.
  const Duration backoff =
      std::min(std::min(args_.reconnect_backoff, kMaxBackoff) << shift, kMaxBackoff);
  recover_at_ = loop_.now() + backoff;
}

void ClientRunner::recover(Timestamp now) {
  recover_at_ = kNever;
  if (client_->take_progress()) {
    attempts_ = 0;  // tokens flowed since the last try: this is a new outage
  }
  if (client_->interrupted() == 0) {
    return;
  }
  if (++attempts_ > args_.reconnect_attempts) {
    logger().warn("connection.id={} attempts={}: giving up on {} interrupted stream(s)",
                  connection_id_,
                  args_.reconnect_attempts,
                  client_->interrupted());
    client_->abandon();
    return;
  }
  // A working connection is kept (the director answered UNAVAILABLE but is there); a lost
  // one is replaced by a connection to the next director of the list.
  if (channel_ == nullptr || channel_->lost()) {
    const std::size_t next = (director_ + 1) % args_.directors.size();
    logger().info("connection.id={} director={} attempt={}: 🔁 reconnecting",
                  connection_id_,
                  args_.directors[next],
                  attempts_);
    if (auto ok = connect(next); !ok) {
      logger().warn(
          "connection.id={} error=\"{}\": reconnect failed", connection_id_, ok.error().message());
      schedule_recovery();
      return;
    }
  }
  client_->resume(channel_->session(), now);
  if (client_->interrupted() != 0) {
    schedule_recovery();
  }
}

void ClientRunner::rebind() {
  if (channel_ == nullptr || !channel_->connected()) {
    return;
  }
  if (auto ok = channel_->migrate(); ok) {
    ++rebinds_;
  } else {
    logger().debug(
        "connection.id={} error=\"{}\": no rebind now", connection_id_, ok.error().message());
  }
}

client::ClientSummary ClientRunner::summary() const {
  client::ClientSummary s = client_ != nullptr ? client_->summary() : client::ClientSummary{};
  s.connection_id = connection_id_;
  std::uint32_t handshakes = 0;
  for (const auto& c : old_channels_) {
    handshakes += c->handshake_completed() ? 1 : 0;
  }
  if (channel_ != nullptr) {
    handshakes += channel_->handshake_completed() ? 1 : 0;
  }
  s.quic_handshakes = handshakes;
  s.rebinds = rebinds_;
  return s;
}

}  // namespace connswap::app
