#pragma once
// Private: one connection's rpc::Session, fed with that connection's quic events in order
// (rpc/session.h), with its call deadlines armed on a shared net::TimerQueue.

#include <cstdint>
#include <string>

#include "net/conn.h"
#include "net/timer_queue.h"
#include "quic/event.h"
#include "quic/settings.h"
#include "rpc/session.h"
#include "rpcnet/connection_info.h"
#include "rpcnet/detail/conn_transport.h"

namespace connswap::rpcnet::detail {

class Peer;

// kInvalidArgument unless transport.send_low_water <= session.send_high_water (the
// writable-notification rule of rpc/transport.h).
Result<void> check_watermarks(const quic::TransportSettings& transport,
                              const rpc::SessionConfig& session);

// Told when a Peer's connection becomes usable and when it is gone.
class PeerObserver {
 public:
  virtual ~PeerObserver() = default;
  virtual void on_peer_open(Peer& peer) = 0;
  // After every open call has ended UNAVAILABLE. The Peer may be destroyed only later,
  // outside this call (the endpoint is still unwinding).
  virtual void on_peer_closed(Peer& peer, const quic::ConnectionClosed& closed) = 0;
};

class Peer final : public net::ConnectionHandler {
 public:
  // Installs itself as `conn`'s handler. `timers` keys are connection keys (Conn::key()).
  Peer(net::Conn& conn,
       const rpc::Registry* registry,
       const rpc::SessionConfig& config,
       net::TimerQueue& timers,
       PeerObserver& observer);
  ~Peer() override;
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  rpc::Session& session() { return session_; }
  const ConnectionInfo& info() const { return info_; }
  std::uint64_t key() const { return key_; }
  bool open() const { return open_ && !lost_; }  // handshake done, not yet lost
  bool was_open() const { return open_; }
  bool lost() const { return lost_; }

  // The session's deadline passed (the TimerQueue fired for key()).
  void on_deadline(Timestamp now);

  // net::ConnectionHandler
  void on_event(net::Conn& conn, quic::Event& event) override;
  void on_flushed(net::Conn& conn) override;
  void on_closed(net::Conn& conn, const quic::ConnectionClosed& closed) override;

 private:
  void on_handshake(net::Conn& conn);
  void sync_deadline();

  ConnTransport transport_;  // before session_: the Session holds a reference to it
  rpc::Session session_;
  net::TimerQueue& timers_;
  PeerObserver& observer_;
  std::uint64_t key_;
  ConnectionInfo info_;
  bool open_ = false;
  bool lost_ = false;
};

}  // namespace connswap::rpcnet::detail
