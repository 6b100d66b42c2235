// Connection: lifecycle, inbound packets, timers and closing.

#include "quic/connection.h"

#include <ngtcp2/ngtcp2_crypto.h>

#include "base/log.h"
#include "quic/conn_impl.h"
#include "quic/tls_session.h"

namespace connswap::quic {
namespace {

using Impl = Connection::Impl;

// RFC 9001 §4.8: a TLS alert travels as CRYPTO_ERROR 0x100 + alert.
constexpr std::uint64_t kCryptoErrorBase = 0x100;

bool is_crypto_error(std::uint64_t code) {
  return code >= kCryptoErrorBase && code <= kCryptoErrorBase + 0xff;
}

Duration closing_period(ngtcp2_conn* conn) {
  return 3 * ngtcp2_conn_get_pto(conn);
}

// read_pkt errors that mean "the handshake could not be completed".
bool is_handshake_error(int rv) {
  return rv == NGTCP2_ERR_CRYPTO || rv == NGTCP2_ERR_TRANSPORT_PARAM ||
         rv == NGTCP2_ERR_REQUIRED_TRANSPORT_PARAM || rv == NGTCP2_ERR_MALFORMED_TRANSPORT_PARAM ||
         rv == NGTCP2_ERR_CALLBACK_FAILURE;
}

}  // namespace

Impl::~Impl() {
  if (conn != nullptr) {
    ngtcp2_conn_del(conn);  // may flush the last qlog lines
  }
  if (session != nullptr) {
    gnutls_deinit(session);
  }
  if (qlog != nullptr) {
    std::fclose(qlog);
  }
}

void Impl::refresh_path() {
  if (conn != nullptr) {
    path = from_ngtcp2(*ngtcp2_conn_get_path(conn));
  }
}

void Impl::report_close(CloseKind kind, std::uint64_t code, std::string reason) {
  if (close_reported) {
    return;
  }
  close_reported = true;
  // Garbage that never became a connection is not worth an info line per datagram.
  bool was_connection = conn != nullptr && ngtcp2_conn_get_handshake_completed(conn) != 0;
  // A failed handshake (bad certificate, ALPN) is a peer misbehaving: warn, with its address.
  auto level = kind == CloseKind::kHandshakeFailed ? spdlog::level::warn
               : was_connection                    ? spdlog::level::info
                                                   : spdlog::level::debug;
  log::get("quic").log(level,
                       "conn={} peer={} closed kind={} code={:#x}: {}",
                       id,
                       path.remote.to_string(),
                       to_string(kind),
                       code,
                       reason);
  events.emplace_back(ConnectionClosed{kind, code, std::move(reason)});
}

void Impl::close_now(CloseKind kind, std::uint64_t code, std::string reason) {
  report_close(kind, code, std::move(reason));
  state = ConnState::kClosed;
  close_pending = false;
  close_resend = false;
}

void Impl::start_closing(CloseKind kind, std::uint64_t code, std::string reason) {
  report_close(kind, code, std::move(reason));
  state = ConnState::kClosing;
  close_pending = true;  // write() emits CONNECTION_CLOSE and starts the 3xPTO clock
}

void Impl::enter_draining(Timestamp now) {
  state = ConnState::kDraining;
  close_deadline = now + closing_period(conn);
}

void Impl::note_buffered(StreamId sid, detail::Stream& s) {
  std::size_t buffered = s.send.buffered();
  if (buffered >= settings.send_low_water) {
    s.above_low_water = true;
  } else if (s.above_low_water) {
    s.above_low_water = false;
    events.emplace_back(StreamWritable{sid});
  }
}

void Impl::apply_deferred() {
  if (stream_credit > 0 && state == ConnState::kOpen) {
    ngtcp2_conn_extend_max_streams_bidi(conn, stream_credit);
  }
  stream_credit = 0;
  if (alpn_mismatch && state == ConnState::kOpen) {
    alpn_mismatch = false;
    std::uint8_t alert = GNUTLS_A_NO_APPLICATION_PROTOCOL;
    close_reason = "ALPN mismatch";
    ngtcp2_connection_close_error_set_transport_error_tls_alert(
        &ccerr, alert, reinterpret_cast<const uint8_t*>(close_reason.data()), close_reason.size());
    start_closing(CloseKind::kHandshakeFailed,
                  kCryptoErrorBase + alert,
                  "ALPN mismatch: negotiated '" + detail::selected_alpn(session) + "', expected '" +
                      tls->alpn() + "'");
  }
  refresh_path();
}

Result<void> Impl::on_datagram(const Path& p, ByteSpan pkt, Timestamp now) {
  switch (state) {
    case ConnState::kClosed:
      return make_error(Errc::kClosed, "connection closed");
    case ConnState::kDraining:
      return {};
    case ConnState::kClosing:
      // RFC 9000 §10.2.1: answer packets in the closing period with CONNECTION_CLOSE, with
      // exponential backoff (1st, 2nd, 4th, 8th ... packet).
      ++closing_rx;
      if ((closing_rx & (closing_rx - 1)) == 0 && !close_packet.empty()) {
        close_resend = true;
      }
      return {};
    case ConnState::kOpen:
      break;
  }
  ngtcp2_path np = to_ngtcp2(p);
  ngtcp2_pkt_info pi{};
  int rv = ngtcp2_conn_read_pkt(conn, &np, &pi, pkt.data(), pkt.size(), now);
  apply_deferred();
  if (rv == 0) {
    last_rx = now;
    return {};
  }
  return fail_read(rv, now);
}

Result<void> Impl::fail_read(int rv, Timestamp now) {
  if (stateless_reset) {
    // RFC 9000 §10.3.1: nothing more may be sent; the peer has no state to drain.
    close_now(CloseKind::kStatelessReset, 0, "stateless reset received");
    return make_error(Errc::kPeerGone, "stateless reset");
  }
  if (rv == NGTCP2_ERR_DRAINING) {
    ngtcp2_connection_close_error peer{};
    ngtcp2_conn_get_connection_close_error(conn, &peer);
    std::string reason(reinterpret_cast<const char*>(peer.reason), peer.reasonlen);
    CloseKind kind = CloseKind::kPeerTransport;
    if (peer.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION) {
      kind = CloseKind::kPeerApplication;
    } else if (is_crypto_error(peer.error_code)) {
      kind = CloseKind::kHandshakeFailed;
      std::string why =
          detail::peer_alert_reason(static_cast<std::uint8_t>(peer.error_code & 0xff));
      reason = reason.empty() ? why : why + ": " + reason;
    }
    report_close(kind, peer.error_code, reason.empty() ? "peer closed" : reason);
    enter_draining(now);
    return make_error(Errc::kClosed, "peer closed the connection");
  }
  if (rv == NGTCP2_ERR_DROP_CONN || rv == NGTCP2_ERR_RECV_VERSION_NEGOTIATION) {
    close_now(CloseKind::kProtocolError, 0, std::string("dropped: ") + ngtcp2_strerror(rv));
    return make_error(Errc::kProtocol, ngtcp2_strerror(rv));
  }
  bool handshake = !ngtcp2_conn_get_handshake_completed(conn) && is_handshake_error(rv);
  if (rv == NGTCP2_ERR_CRYPTO) {
    std::uint8_t alert = ngtcp2_conn_get_tls_alert(conn);
    ngtcp2_connection_close_error_set_transport_error_tls_alert(&ccerr, alert, nullptr, 0);
    start_closing(CloseKind::kHandshakeFailed,
                  kCryptoErrorBase + alert,
                  detail::local_failure_reason(session, alert));
    return make_error(Errc::kTls, "TLS handshake failed");
  }
  ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, rv, nullptr, 0);
  start_closing(handshake ? CloseKind::kHandshakeFailed : CloseKind::kProtocolError,
                ngtcp2_err_infer_quic_transport_error_code(rv),
                ngtcp2_strerror(rv));
  return make_error(handshake ? Errc::kTls : Errc::kProtocol, ngtcp2_strerror(rv));
}

Result<void> Impl::on_timeout(Timestamp now) {
  if (state == ConnState::kClosed) {
    return {};
  }
  if (state != ConnState::kOpen) {
    if (now >= close_deadline) {
      state = ConnState::kClosed;
    }
    return {};
  }
  int rv = ngtcp2_conn_handle_expiry(conn, now);
  apply_deferred();
  switch (rv) {
    case 0:
      return {};
    case NGTCP2_ERR_IDLE_CLOSE:
      // RFC 9000 §10.1: an idle timeout closes silently.
      close_now(CloseKind::kIdleTimeout, 0, "idle timeout");
      return make_error(Errc::kTimeout, "idle timeout");
    case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
      close_now(CloseKind::kHandshakeTimeout, 0, "handshake timeout");
      return make_error(Errc::kTimeout, "handshake timeout");
    default:
      ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, rv, nullptr, 0);
      start_closing(CloseKind::kProtocolError,
                    ngtcp2_err_infer_quic_transport_error_code(rv),
                    ngtcp2_strerror(rv));
      return make_error(Errc::kProtocol, ngtcp2_strerror(rv));
  }
}

// ---- Connection (public API) -------------------------------------------------------------

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::~Connection() = default;

Result<std::unique_ptr<Connection>> Connection::connect(const ClientConfig& config,
                                                        const Path& path,
                                                        Timestamp now) {
  CONNSWAP_TRY(validate(config.transport));
  if (!config.tls || config.tls->is_server()) {
    return make_error(Errc::kInvalidArgument, "connect needs a client TlsContext");
  }
  auto impl = std::make_unique<Impl>();
  CONNSWAP_TRY(impl->init_client(config, path, now));
  log::get("quic").debug("conn={} connecting to {}", impl->id, path.remote.to_string());
  return std::unique_ptr<Connection>(new Connection(std::move(impl)));
}

Result<std::unique_ptr<Connection>> Connection::accept(const ServerConfig& config,
                                                       const Path& path,
                                                       ByteSpan first_packet,
                                                       Timestamp now,
                                                       ByteSpan retry_odcid) {
  CONNSWAP_TRY(validate(config.transport));
  if (!config.tls || !config.tls->is_server()) {
    return make_error(Errc::kInvalidArgument, "accept needs a server TlsContext");
  }
  if (config.static_secret.size() < 32) {
    return make_error(Errc::kInvalidArgument, "static_secret must be >= 32 bytes");
  }
  auto impl = std::make_unique<Impl>();
  CONNSWAP_TRY(impl->init_server(config, path, first_packet, now, retry_odcid));
  log::get("quic").debug("conn={} accepted from {}", impl->id, path.remote.to_string());
  return std::unique_ptr<Connection>(new Connection(std::move(impl)));
}

Result<void> Connection::on_datagram(const Path& path, ByteSpan datagram, Timestamp now) {
  return impl_->on_datagram(path, datagram, now);
}

Result<void> Connection::on_timeout(Timestamp now) {
  return impl_->on_timeout(now);
}

void Connection::on_peer_gone(std::string reason) {
  if (impl_->state == ConnState::kClosed) {
    return;
  }
  impl_->close_now(CloseKind::kPeerGone, 0, std::move(reason));
}

Result<Datagrams> Connection::write_datagrams(MutableByteSpan out, Timestamp now) {
  return impl_->write(out, now);
}

void Connection::ping() {
  if (impl_->state == ConnState::kOpen && handshake_completed()) {
    impl_->ping_pending = true;
  }
}

Timestamp Connection::last_received() const {
  return impl_->last_rx;
}

Duration Connection::pto() const {
  return impl_->state == ConnState::kOpen ? ngtcp2_conn_get_pto(impl_->conn) : 0;
}

Timestamp Connection::deadline() const {
  switch (impl_->state) {
    case ConnState::kClosed:
      return kNever;
    case ConnState::kClosing:
    case ConnState::kDraining:
      return impl_->close_deadline;
    case ConnState::kOpen:
      break;
  }
  ngtcp2_tstamp t = ngtcp2_conn_get_expiry(impl_->conn);
  return t == UINT64_MAX ? kNever : t;
}

std::uint64_t Connection::bytes_in_flight() const {
  ngtcp2_conn_stat cs;
  ngtcp2_conn_get_conn_stat(impl_->conn, &cs);
  return cs.bytes_in_flight;
}

std::optional<Event> Connection::poll_event() {
  if (impl_->events.empty()) {
    return std::nullopt;
  }
  Event ev = std::move(impl_->events.front());
  impl_->events.pop_front();
  return ev;
}

std::optional<CidChange> Connection::poll_cid_change() {
  if (impl_->cid_changes.empty()) {
    return std::nullopt;
  }
  CidChange c = std::move(impl_->cid_changes.front());
  impl_->cid_changes.pop_front();
  return c;
}

void Connection::close(std::uint64_t app_error, std::string reason) {
  Impl& c = *impl_;
  if (c.state != ConnState::kOpen) {
    return;
  }
  c.close_reason = reason;
  ngtcp2_connection_close_error_set_application_error(
      &c.ccerr,
      app_error,
      reinterpret_cast<const uint8_t*>(c.close_reason.data()),
      c.close_reason.size());
  c.start_closing(CloseKind::kLocal, app_error, std::move(reason));
}

Result<void> Connection::migrate(const Path& new_path, Timestamp now) {
  Impl& c = *impl_;
  if (c.server) {
    return make_error(Errc::kInvalidArgument, "only a client migrates");
  }
  if (c.state != ConnState::kOpen) {
    return make_error(Errc::kClosed, "connection closed");
  }
  ngtcp2_path np = to_ngtcp2(new_path);
  int rv = ngtcp2_conn_initiate_migration(c.conn, &np, now);
  if (rv != 0) {
    Errc code = rv == NGTCP2_ERR_CONN_ID_BLOCKED ? Errc::kUnavailable : Errc::kInvalidArgument;
    return make_error(code, std::string("migration refused: ") + ngtcp2_strerror(rv));
  }
  return {};
}

bool Connection::handshake_completed() const {
  return impl_->conn != nullptr && ngtcp2_conn_get_handshake_completed(impl_->conn) != 0 &&
         !impl_->alpn_mismatch;
}

bool Connection::is_closed() const {
  return impl_->state == ConnState::kClosed;
}
const Path& Connection::path() const {
  return impl_->path;
}
const std::string& Connection::id() const {
  return impl_->id;
}
std::string Connection::alpn() const {
  return detail::selected_alpn(impl_->session);
}

bool Connection::peer_certificate_presented() const {
  return impl_->session != nullptr && detail::peer_certificate_presented(impl_->session);
}

PeerCertificate Connection::peer_certificate() const {
  // Only a certificate the handshake verified says anything: a server that does not ask
  // for client certificates, or an insecure client, reports none.
  const TlsContext* tls = impl_->tls.get();
  const bool verified =
      tls != nullptr && (tls->is_server() ? tls->requires_client_cert() : !tls->insecure());
  if (impl_->session == nullptr || !verified) {
    return {};
  }
  return detail::peer_certificate(impl_->session);
}

}  // namespace connswap::quic
