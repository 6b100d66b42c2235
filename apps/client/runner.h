#pragma once
// ClientRunner: connswap-client's connection management around services::GenerateClient.
// One rpcnet::Channel at a time to one of the --director addresses. When streams are
// interrupted (their call ended UNAVAILABLE with a ticket: director killed, stopping or
// without workers), it resumes them after a backoff: on the same connection if it still
// works, else on a new one to the next address of the list. Bounded: reconnect_attempts in
// a row without a token received, then the streams fail. Optionally moves the connection
// to a new local UDP port every rebind_every (QUIC connection migration, validated path).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "client/stream_verifier.h"
#include "common/driver.h"
#include "net/loop.h"
#include "quic/tls.h"
#include "rpcnet/channel.h"
#include "run.h"
#include "services/generate_client.h"

namespace connswap::app {

class ClientRunner {
 public:
  // `args` must outlive the runner.
  ClientRunner(net::Loop& loop,
               const ClientArgs& args,
               std::shared_ptr<const quic::TlsContext> tls,
               std::string connection_id);
  ~ClientRunner();
  ClientRunner(const ClientRunner&) = delete;
  ClientRunner& operator=(const ClientRunner&) = delete;

  // Connects to the first director and starts the streams. kIo/kInvalidArgument as
  // rpcnet::Channel::connect; the start's errors.
  [[nodiscard]] Result<void> start();
  // Runs until every stream has ended (or SIGINT/SIGTERM cancelled them).
  void run();
  // The summary: streams, resumes, rebinds, and every completed QUIC handshake.
  client::ClientSummary summary() const;

 private:
  Result<void> connect(std::size_t index);
  void schedule_recovery();
  void recover(Timestamp now);
  void rebind();

  net::Loop& loop_;
  const ClientArgs& args_;
  std::shared_ptr<const quic::TlsContext> tls_;
  std::string connection_id_;
  Driver driver_;
  std::unique_ptr<rpcnet::Channel> channel_;
  std::vector<std::unique_ptr<rpcnet::Channel>> old_channels_;  // kept (closed) until the end
  std::unique_ptr<services::GenerateClient> client_;
  std::size_t director_ = 0;    // index in args_.directors of channel_
  std::uint32_t attempts_ = 0;  // recoveries in a row without a token received
  Timestamp recover_at_ = kNever;
  std::uint64_t rebinds_ = 0;
  bool interrupted_ = false;  // a signal cancelled the streams
};

}  // namespace connswap::app
