#pragma once
// Private: the state behind quic::Connection, shared by connection.cc (lifecycle, inbound,
// close), writer.cc (outbound), callbacks.cc (ngtcp2 trampolines) and setup.cc.

#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "quic/connection.h"
#include "quic/streams.h"

namespace connswap::quic {

enum class ConnState : std::uint8_t {
  kOpen,
  kClosing,   // we send (or sent) CONNECTION_CLOSE; waiting out 3xPTO
  kDraining,  // the peer closed; waiting out 3xPTO silently
  kClosed,
};

struct Connection::Impl {
  Impl() = default;
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // Identity and configuration.
  bool server = false;
  std::string id;  // hex of the original DCID
  TransportSettings settings;
  std::shared_ptr<const TlsContext> tls;
  std::string server_name;
  Bytes static_secret;  // reset-token secret (server: from config; client: random)

  ngtcp2_conn* conn = nullptr;
  gnutls_session_t session = nullptr;
  ngtcp2_crypto_conn_ref conn_ref{};
  Path path;  // current path, refreshed after every call into ngtcp2
  std::FILE* qlog = nullptr;

  // Closing.
  ConnState state = ConnState::kOpen;
  bool close_reported = false;
  bool close_pending = false;  // CONNECTION_CLOSE still to be written
  bool close_resend = false;   // resend the stored CONNECTION_CLOSE (closing period)
  std::uint64_t closing_rx = 0;
  Timestamp close_deadline = kNever;
  ngtcp2_connection_close_error ccerr{};
  std::string close_reason;  // backs ccerr.reason
  Bytes close_packet;
  Path close_path;

  // Set by callbacks, acted on after ngtcp2 returns (no re-entrancy).
  bool stateless_reset = false;
  bool open_stream_failed = false;
  bool alpn_mismatch = false;
  std::size_t stream_credit = 0;  // peer-opened streams closed: extend_max_streams_bidi

  // Liveness (issue 18): ping() asks the next write for an ack-eliciting packet; the time a
  // datagram was last read without error.
  bool ping_pending = false;
  Timestamp last_rx = 0;

  std::deque<Event> events;
  std::deque<CidChange> cid_changes;
  detail::StreamTable streams;

  // A packet that did not fit the last GSO batch (other path or larger); sent next.
  Bytes stash;
  Path stash_path;

  // setup.cc
  Result<void> init_client(const ClientConfig& config, const Path& p, Timestamp now);
  Result<void> init_server(
      const ServerConfig& config, const Path& p, ByteSpan pkt, Timestamp now, ByteSpan retry_odcid);

  // connection.cc
  Result<void> on_datagram(const Path& p, ByteSpan pkt, Timestamp now);
  Result<void> on_timeout(Timestamp now);
  void apply_deferred();
  Result<void> fail_read(int rv, Timestamp now);
  void report_close(CloseKind kind, std::uint64_t code, std::string reason);
  void start_closing(CloseKind kind, std::uint64_t code, std::string reason);
  void enter_draining(Timestamp now);
  void close_now(CloseKind kind, std::uint64_t code, std::string reason);
  void refresh_path();
  void note_buffered(StreamId sid, detail::Stream& s);

  // writer.cc
  Result<Datagrams> write(MutableByteSpan out, Timestamp now);
  Result<Datagrams> write_close(MutableByteSpan out, Timestamp now);
  Result<Datagrams> write_ping(MutableByteSpan out, Timestamp now);
  Result<Datagrams> write_batch(MutableByteSpan out, Timestamp now);
  ngtcp2_ssize write_packet(MutableByteSpan dest, ngtcp2_path* path, Timestamp now);
};

// Conversions between our Path and ngtcp2's (callbacks.cc).
ngtcp2_path to_ngtcp2(const Path& p);
Path from_ngtcp2(const ngtcp2_path& p);
const ngtcp2_callbacks& client_callbacks();
const ngtcp2_callbacks& server_callbacks();

}  // namespace connswap::quic
