#pragma once
// The worker's production services::DirectorLink: an rpcnet::Channel to the director's MGMT
// port that presents this node's certificate (mTLS), made on demand and made again after
// the connection is lost. The RegistrationClient is told of each loss.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/alive.h"
#include "net/loop.h"
#include "quic/tls.h"
#include "rpcnet/channel.h"
#include "services/registration_client.h"

namespace connswap::app {

class DirectorChannel final : public services::DirectorLink {
 public:
  // `tls`: client context with this node's certificate; `director_mgmt_addr`: host:port.
  DirectorChannel(net::Loop& loop,
                  std::shared_ptr<const quic::TlsContext> tls,
                  std::string director_mgmt_addr);
  ~DirectorChannel() override;
  DirectorChannel(const DirectorChannel&) = delete;
  DirectorChannel& operator=(const DirectorChannel&) = delete;

  // Runs (on the loop) when the current connection is lost.
  void on_lost(std::function<void(Timestamp)> fn) { on_lost_ = std::move(fn); }

  // services::DirectorLink
  Result<rpc::Session*> session(Timestamp now) override;

  // Closes the connection (CONNECTION_CLOSE) without reporting a loss.
  void close();

 private:
  void retire();

  net::Loop& loop_;
  std::shared_ptr<const quic::TlsContext> tls_;
  std::string addr_;
  std::function<void(Timestamp)> on_lost_;
  std::unique_ptr<rpcnet::Channel> channel_;
  std::vector<std::unique_ptr<rpcnet::Channel>> retired_;  // destroyed on a later turn
  Alive alive_;                                            // deferred callbacks check it
};

}  // namespace connswap::app
