#pragma once
// The director's production services::WorkerConnector: `connections` rpcnet::Channels per
// worker USER address (calls spread over them in turn; each QUIC connection has its own
// congestion window, issue 18), each made on first use, dropped when its connection is lost
// and made again on the next use. A lost Channel is destroyed on a later loop turn (never
// inside its callbacks).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/alive.h"
#include "net/loop.h"
#include "quic/tls.h"
#include "rpcnet/channel.h"
#include "services/director_service.h"

namespace connswap::app {

class WorkerChannels final : public services::WorkerConnector {
 public:
  // `tls`: client context verifying workers against the cluster CA. `transport`: the
  // connections' settings (keep-alive PING period, per-stream receive window).
  // `connections`: QUIC connections per worker (>= 1).
  WorkerChannels(net::Loop& loop,
                 std::shared_ptr<const quic::TlsContext> tls,
                 const quic::TransportSettings& transport,
                 std::size_t connections = 1);
  ~WorkerChannels() override;
  WorkerChannels(const WorkerChannels&) = delete;
  WorkerChannels& operator=(const WorkerChannels&) = delete;

  // services::WorkerConnector
  Result<rpc::Session*> connect(std::string_view user_addr, Timestamp now) override;
  bool probe(std::string_view user_addr, Timestamp now) override;
  Timestamp last_heard(std::string_view user_addr) override;
  Duration pto(std::string_view user_addr) override;

  std::size_t size() const { return channels_.size(); }
  // Closes every connection (CONNECTION_CLOSE); open calls end UNAVAILABLE.
  void close_all();

 private:
  void retire(const std::string& key);
  // The channel keys of `user_addr` ("addr#i"), live or not.
  std::vector<std::string> keys_of(std::string_view user_addr) const;

  net::Loop& loop_;
  std::shared_ptr<const quic::TlsContext> tls_;
  quic::TransportSettings transport_;
  std::size_t connections_;                               // per worker, >= 1
  std::map<std::string, std::size_t, std::less<>> next_;  // the next index per address
  std::map<std::string, std::unique_ptr<rpcnet::Channel>, std::less<>> channels_;
  std::vector<std::unique_ptr<rpcnet::Channel>> retired_;  // destroyed on a later turn
  Alive alive_;                                            // deferred callbacks check it
};

}  // namespace connswap::app
