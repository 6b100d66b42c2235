#pragma once
// A QUIC client: one connection over a connected UDP socket (so a dead server's ICMP
// port-unreachable closes the connection at once with kPeerGone), plus client migration
// to a fresh local port.

#include <cstdint>
#include <memory>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "net/endpoint.h"
#include "net/udp_socket.h"
#include "quic/connection.h"

namespace connswap::net {

struct ClientOptions {
  Address remote;           // the server
  Address local;            // empty: any address of the remote's family, port 0
  quic::ClientConfig quic;  // transport, TLS context, server name
  SocketOptions socket;
};

class ClientEndpoint : public Endpoint {
 public:
  // Opens the socket and starts the handshake; `handler` sees on_connection before this
  // returns, then HandshakeCompleted (or on_closed) later. Errors: kIo, and whatever
  // quic::Connection::connect reports.
  static Result<std::unique_ptr<ClientEndpoint>> connect(Loop& loop,
                                                         const ClientOptions& options,
                                                         ConnectionHandler& handler);
  ~ClientEndpoint() override;

  // The connection; nullptr once it has been closed and dropped.
  Conn* conn() { return find(conn_key_); }

  // Moves the connection to a new socket on a new local port (validated migration). The old
  // socket keeps receiving until PathValidated for the new path, then closes. Errors: kIo
  // (socket), kInvalidArgument (migration already running), quic errors.
  Result<void> migrate();
  const Address& local_address() const { return sockets_.back().socket->local(); }
  const UdpSocket& socket() const { return *sockets_.back().socket; }
  // A datagram waits unread in one of its sockets (UdpSocket::has_unread).
  bool has_unread() const;

  void stop() override;

 private:
  struct Slot {
    std::uintptr_t tag;
    std::unique_ptr<UdpSocket> socket;
  };
  ClientEndpoint(Loop& loop, const ClientOptions& options, ConnectionHandler& handler);
  Result<std::uintptr_t> open_socket(const Address& local);

  // Endpoint
  UdpSocket* socket_by_tag(std::uintptr_t tag) override;
  void on_datagram(std::uintptr_t tag, const Address& from, ByteSpan datagram) override;
  void on_socket_error(std::uintptr_t tag, const Error& error) override;
  void before_event(Conn& conn, const quic::Event& event) override;

  void drop_sockets_except(std::uintptr_t keep);

  ClientOptions options_;
  std::vector<Slot> sockets_;  // the last one is the newest
  std::uintptr_t next_tag_ = 1;
  std::uintptr_t migrating_tag_ = 0;  // new socket awaiting PathValidated; 0 = none
  std::uint64_t conn_key_ = 0;
};

}  // namespace connswap::net
