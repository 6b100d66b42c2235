#pragma once
// A QUIC server on one UDP socket: accepts client Initials, routes datagrams to connections
// by destination CID, answers unknown short-header packets with (rate-limited) stateless
// resets and unsupported versions with Version Negotiation, and drops garbage quietly.
// Admission (issue 14 item 3): caps on connections in total and per source address (an
// Initial over a cap gets a stateless CONNECTION_CLOSE, CONNECTION_REFUSED), and a
// handshake rate above which new clients must first prove their address with a Retry.

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "net/endpoint.h"
#include "net/udp_socket.h"
#include "quic/connection.h"
#include "quic/retry.h"

namespace connswap::net {

// Who may open a connection. The defaults admit everyone without Retry (MGMT, tests);
// connswap-director sets its USER port's from --max-connections and friends.
struct AdmissionLimits {
  static constexpr std::uint32_t kNeverRetry = std::numeric_limits<std::uint32_t>::max();
  std::size_t max_connections = 0;              // connections at once; 0 = no cap
  std::size_t max_connections_per_address = 0;  // per source IP (any port); 0 = no cap
  // New handshakes per second (token bucket, burst = rate) before an Initial without a
  // valid token is answered with a Retry; 0 = always Retry, kNeverRetry = never.
  std::uint32_t retry_above_per_second = kNeverRetry;
};

struct ServerOptions {
  Address listen;           // port 0 picks a free port; see local_address()
  quic::ServerConfig quic;  // transport, TLS context and the stateless-reset secret
  SocketOptions socket;
  std::uint32_t max_resets_per_second = 200;  // stateless-reset budget (amplification)
  AdmissionLimits admission;
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
    std::uint64_t dropped = 0;              // garbage, unroutable long headers, over-budget resets
    std::uint64_t retries = 0;              // Retry packets sent (handshake rate above the limit)
    std::uint64_t invalid_tokens = 0;       // Initials with a bad/expired token, dropped
    std::uint64_t refused_connections = 0;  // over max_connections
    std::uint64_t refused_per_address = 0;  // over max_connections_per_address
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

  void accept(const quic::Path& path, ByteSpan datagram);
  // Retry / token check / caps for a new Initial; false = answered or dropped, do not
  // accept. Sets `retry_odcid` when the Initial carried a valid Retry token.
  bool admit(const quic::Path& path, const quic::InitialHeader& initial, Bytes& retry_odcid);
  bool over_cap(const Address& from, const quic::InitialHeader& initial);
  void refuse(const Address& from, const quic::InitialHeader& initial, std::string_view why);
  void send_retry(const Address& from, const quic::InitialHeader& initial);
  bool take_handshake_token();
  void answer_unknown(const Address& from, const Bytes& dcid, ByteSpan datagram);
  void answer_version(const Address& from, ByteSpan datagram);
  bool take_reset_token();
  void add_route(Conn& conn, const Bytes& cid);

  static constexpr std::uintptr_t kTag = 1;
  ServerOptions options_;
  std::unique_ptr<UdpSocket> socket_;
  std::unordered_map<std::string, std::uint64_t> routes_;             // CID -> conn key
  std::unordered_map<std::uint64_t, std::vector<std::string>> cids_;  // conn key -> CIDs
  std::unordered_map<std::uint64_t, std::string> conn_address_;       // conn key -> source IP
  std::unordered_map<std::string, std::size_t> per_address_;          // source IP -> connections
  double handshake_tokens_ = 0;
  Timestamp handshake_refill_at_ = 0;
  double reset_tokens_ = 0;
  Timestamp reset_refill_at_ = 0;
  Bytes scratch_;
  Stats stats_;
};

}  // namespace connswap::net
