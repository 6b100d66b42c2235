#pragma once
// One simulated QUIC connection carrying RPC calls: a real quic::Connection, an
// rpc::StreamTransport over it and the rpc::Session it feeds, pumped like rpcnet's Peer
// (same event mapping) but with no src/net: datagrams go to and come from a sim::Network,
// and time is the simulator's virtual clock.

#include <functional>
#include <memory>
#include <string>

#include "quic/connection.h"
#include "rpc/session.h"
#include "rpc/transport.h"
#include "sim/network.h"

namespace connswap::sim {

class Peer final : public rpc::StreamTransport {
 public:
  // `registry` serves the peer's calls (nullptr: a client that only starts calls).
  Peer(std::unique_ptr<quic::Connection> conn, const rpc::Registry* registry);
  ~Peer() override;
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  rpc::Session& session() { return session_; }
  quic::Connection& conn() { return *conn_; }
  bool open() const { return open_ && !lost_; }
  bool lost() const { return lost_; }
  // The process owning it died: never pumped, fed or flushed again.
  bool dead = false;
  // Nothing more to do: dead, or lost and the connection finished closing.
  bool finished() const { return dead || (lost_ && conn_->is_closed()); }

  // Runs once, when the connection closes (after every call ended UNAVAILABLE).
  std::function<void(const quic::ConnectionClosed&)> on_lost;

  void on_datagram(const Datagram& d, Timestamp now);
  // Fires the connection's and the session's timers if due. True if any fired.
  bool fire(Timestamp now);
  // Feeds every pending connection event to the session. True if there was any.
  bool pump(Timestamp now);
  // Writes every pending datagram into `net`. True if it sent any.
  bool flush(Network& net, Timestamp now);
  Timestamp deadline() const;

  // rpc::StreamTransport (the same contract as rpcnet's ConnTransport).
  Result<rpc::StreamId> open_stream() override;
  Result<void> send(rpc::StreamId id, Bytes data, bool fin) override;
  std::size_t send_buffered(rpc::StreamId id) const override;
  void consume(rpc::StreamId id, std::size_t bytes) override;
  void reset_stream(rpc::StreamId id, std::uint64_t code) override;
  void stop_sending(rpc::StreamId id, std::uint64_t code) override;

 private:
  void on_event(quic::Event& event, Timestamp now);
  void on_closed(const quic::ConnectionClosed& closed);

  std::unique_ptr<quic::Connection> conn_;
  rpc::Session session_;
  bool open_ = false;
  bool lost_ = false;
  Bytes buf_;
};

}  // namespace connswap::sim
