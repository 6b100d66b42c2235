#pragma once
// One QUIC connection: owns the ngtcp2_conn and its GnuTLS session. Sans-IO: it never
// touches a socket or reads a clock. The owner (src/net) feeds datagrams and `now`, drains
// outgoing datagrams until none are left, polls events, and arms one timer at deadline().
//
//   conn.on_datagram(path, bytes, now);          // for each received datagram
//   while (auto ev = conn.poll_event()) ...      // handle events
//   while ((d = conn.write_datagrams(buf, now)) && d->bytes > 0) send(d->path, buf, d->...)
//   timer.arm(conn.deadline()); ... conn.on_timeout(now);
//
// Not thread-safe. Never call it from inside another Connection's callbacks.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/error.h"
#include "base/time.h"
#include "quic/event.h"
#include "quic/settings.h"
#include "quic/tls.h"
#include "quic/types.h"

namespace connswap::quic {

struct ClientConfig {
  TransportSettings transport;
  std::shared_ptr<const TlsContext> tls;  // made by TlsContext::make_client
  std::string server_name;                // SNI and the name the certificate must carry
};

struct ServerConfig {
  TransportSettings transport;
  std::shared_ptr<const TlsContext> tls;  // made by TlsContext::make_server
  Bytes static_secret;  // >= 32 bytes; stateless-reset tokens derive from it (keep stable
                        // across restarts so peers of a previous run accept our resets)
};

// A batch of equal-size datagrams for one path, laid out back to back in the caller's
// buffer: every datagram is `segment_size` bytes except possibly the last. bytes == 0 means
// there is nothing to send now. src/net sends it with UDP_SEGMENT (GSO) or one by one.
struct Datagrams {
  Path path;
  std::size_t bytes = 0;
  std::size_t segment_size = 0;
};

// A connection id newly issued by this endpoint (added) or retired (removed); the server
// endpoint keeps its routing table in step with these.
struct CidChange {
  Bytes cid;
  bool added;
};

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> connect(const ClientConfig& config,
                                                     const Path& path,
                                                     Timestamp now);
  // `first_packet` must be a client Initial (see packet.h: accept_initial); it is processed.
  // If it fails the handshake (e.g. ALPN mismatch) the connection is still returned: it owes
  // the client a CONNECTION_CLOSE (write_datagrams) and reports ConnectionClosed.
  // `retry_odcid`: after a Retry (quic/retry.h), the original DCID its verified token
  // carries; the connection then announces original_dcid and retry_scid. Empty = no Retry.
  static Result<std::unique_ptr<Connection>> accept(const ServerConfig& config,
                                                    const Path& path,
                                                    ByteSpan first_packet,
                                                    Timestamp now,
                                                    ByteSpan retry_odcid = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Inbound. An error means the connection is closing or closed (see is_closed()); a
  // ConnectionClosed event says why.
  Result<void> on_datagram(const Path& path, ByteSpan datagram, Timestamp now);
  Result<void> on_timeout(Timestamp now);
  // The peer is unreachable (ICMP port-unreachable on a connected socket): close now.
  void on_peer_gone(std::string reason);
  // When a datagram from the peer was last accepted (0 = never): liveness (issue 18).
  Timestamp last_received() const;
  // The probe timeout (RFC 9002 §6.2.1: smoothed RTT + max(4 x RTT variance, 1 ms) + the
  // peer's max_ack_delay) as ngtcp2 computes it now; 0 when closed. A peer whose loop runs
  // late acknowledges late, so this grows with the path's and the peer's slowness.
  Duration pto() const;

  // Outbound. Fills `out` (>= 64 KiB recommended) with up to one send quantum of datagrams.
  // Call it until it returns bytes == 0 after every on_datagram/on_timeout/send/consume/
  // reset_stream/stop_sending/close/migrate. Also emits the CONNECTION_CLOSE after close().
  Result<Datagrams> write_datagrams(MutableByteSpan out, Timestamp now);
  // Makes the next write_datagrams() send an ack-eliciting packet (a PING if nothing else is
  // due): a liveness probe. A live peer acknowledges it within its max_ack_delay; a closed
  // port answers ICMP (on_peer_gone). No-op before the handshake or once closing.
  void ping();
  Timestamp deadline() const;  // next time on_timeout() must run; kNever when closed
  // Bytes of sent packets not yet acknowledged or declared lost (ACK-only packets are not in
  // flight). 0 means no loss-recovery timer is armed: a quiet connection sends nothing more
  // unless the app writes or TransportSettings::keepalive is set.
  std::uint64_t bytes_in_flight() const;

  std::optional<Event> poll_event();
  // Server: every CID that routes to this connection, starting with the client's original
  // DCID and our first SCID (kServerCidLen). The owner drops the rest when it drops us.
  std::optional<CidChange> poll_cid_change();

  // Streams. Data is buffered until acknowledged; send_buffered() is what is still held.
  Result<StreamId> open_stream();  // kResourceExhausted when the peer's limit is reached
  Result<void> send(StreamId id, Bytes data, bool fin);
  Result<void> send(StreamId id, ByteSpan data, bool fin);
  std::size_t send_buffered(StreamId id) const;
  void consume(StreamId id, std::size_t bytes);             // grant flow credit for read bytes
  void reset_stream(StreamId id, std::uint64_t app_error);  // RESET_STREAM (stop our side)
  void stop_sending(StreamId id, std::uint64_t app_error);  // STOP_SENDING (stop theirs)

  // Connection.
  // Graceful CONNECTION_CLOSE: ConnectionClosed{kLocal} at once; is_closed() after 3xPTO.
  void close(std::uint64_t app_error, std::string reason);
  // Client only, after the handshake: probe `new_path` (its tag picks the socket) and move
  // there once validated (PathValidated). kUnavailable when the peer gave no spare CID.
  Result<void> migrate(const Path& new_path, Timestamp now);
  bool handshake_completed() const;
  bool is_closed() const;         // nothing more will be sent or received; the owner may drop it
  const Path& path() const;       // current path
  const std::string& id() const;  // stable printable id for logs (hex of the original DCID)
  std::string alpn() const;
  // Whether the peer presented a certificate during the handshake (server: a client
  // certificate, verified against client_ca_file when mTLS is configured).
  bool peer_certificate_presented() const;
  // The peer's verified leaf certificate: its roles and fingerprint. Empty if none was
  // presented, or if this side does not verify peers (a server without client_ca_file, an
  // insecure client): an unverified certificate grants nothing.
  PeerCertificate peer_certificate() const;

  struct Impl;

 private:
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace connswap::quic
