#pragma once
// A QUIC server on one UDP socket: accepts client Initials, routes datagrams to connections
// by destination CID, answers unknown short-header packets with (rate-limited) stateless
// resets and unsupported versions with Version Negotiation, and drops garbage quietly.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "net/endpoint.h"
#include "net/udp_socket.h"
#include "quic/connection.h"

namespace connswap::net {

struct ServerOptions {
  Address listen;           // port 0 picks a free port; see local_address()
  quic::ServerConfig quic;  // transport, TLS context and the stateless-reset secret
  SocketOptions socket;
  std::uint32_t max_resets_per_second = 200;  // stateless-reset budget (amplification)
};

class ServerEndpoint : public Endpoint {
 public:
  // Binds and starts reading. Errors: kInvalidArgument (bad config), kIo (bind failed).
  static Result<std::unique_ptr<ServerEndpoint>> listen(Loop& loop,
                                                        const ServerOptions& options,
                                                        ConnectionHandler& handler);
  ~ServerEndpoint() override;

  const Address& local_address() const { return socket_->local(); }
  const UdpSocket& socket() const { return *socket_; }

  // Endpoint::stop(), then closes the socket: nothing is accepted or answered afterwards.
  void stop() override;

  struct Stats {
    std::uint64_t accepted = 0;
    std::uint64_t stateless_resets = 0;
    std::uint64_t version_negotiations = 0;
    std::uint64_t dropped = 0;  // garbage, unroutable long headers, over-budget resets
  };
  const Stats& stats() const { return stats_; }

 private:
  ServerEndpoint(Loop& loop,
                 const ServerOptions& options,
                 ConnectionHandler& handler,
                 std::unique_ptr<UdpSocket> socket);

  // Endpoint
  UdpSocket* socket_by_tag(std::uintptr_t tag) override;
  void on_datagram(std::uintptr_t tag, const Address& from, ByteSpan datagram) override;
  void on_cid_change(Conn& conn, const quic::CidChange& change) override;
  void on_retire(Conn& conn) override;

  void accept(const quic::Path& path, const Bytes& odcid, ByteSpan datagram);
  void answer_unknown(const Address& from, const Bytes& dcid, ByteSpan datagram);
  void answer_version(const Address& from, ByteSpan datagram);
  bool take_reset_token();
  void add_route(Conn& conn, const Bytes& cid);

  static constexpr std::uintptr_t kTag = 1;
  ServerOptions options_;
  std::unique_ptr<UdpSocket> socket_;
  std::unordered_map<std::string, std::uint64_t> routes_;             // CID -> conn key
  std::unordered_map<std::uint64_t, std::vector<std::string>> cids_;  // conn key -> CIDs
  double reset_tokens_ = 0;
  Timestamp reset_refill_at_ = 0;
  Bytes scratch_;
  Stats stats_;
};

}  // namespace connswap::net
