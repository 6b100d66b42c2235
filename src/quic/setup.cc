// Creating the ngtcp2 connection and its TLS session (client and server).

#include <cstdarg>
#include <cstdio>

#include <ngtcp2/ngtcp2_crypto.h>

#include "base/log.h"
#include "base/random.h"
#include "quic/conn_impl.h"
#include "quic/packet.h"
#include "quic/tls_session.h"

namespace connswap::quic {
namespace {

using Impl = Connection::Impl;

constexpr std::size_t kClientCidLen = kServerCidLen;
constexpr std::uint64_t kActiveCidLimit = 7;  // >= 4 so the client has spare CIDs to migrate

ngtcp2_conn* get_conn(ngtcp2_crypto_conn_ref* ref) {
  return static_cast<Impl*>(ref->user_data)->conn;
}

ngtcp2_cid random_cid(std::size_t len) {
  ngtcp2_cid cid{};
  cid.datalen = len;
  fill_random({cid.data, len});
  return cid;
}

void qlog_write(void* user_data, uint32_t /*flags*/, const void* data, size_t datalen) {
  auto& c = *static_cast<Impl*>(user_data);
  if (c.qlog != nullptr && datalen > 0) {
    std::fwrite(data, 1, datalen, c.qlog);
  }
}

void log_printf(void* /*user_data*/, const char* format, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, format);
  std::vsnprintf(buf, sizeof(buf), format, ap);
  va_end(ap);
  log::get("quic").trace("ngtcp2: {}", buf);
}

void open_qlog(Impl& c, const ngtcp2_cid& odcid, ngtcp2_settings& s) {
  if (c.settings.qlog_dir.empty()) {
    return;
  }
  // The role is part of the name: both ends share one id, and tests run both in one process.
  std::string file =
      c.settings.qlog_dir + "/" + c.id + (c.server ? ".server" : ".client") + ".sqlog";
  c.qlog = std::fopen(file.c_str(), "w");
  if (c.qlog == nullptr) {
    log::get("quic").warn("conn={} cannot open qlog file {}", c.id, file);
    return;
  }
  s.qlog.odcid = odcid;
  s.qlog.write = qlog_write;
}

ngtcp2_settings make_settings(Impl& c, const ngtcp2_cid& odcid, Timestamp now) {
  ngtcp2_settings s;
  ngtcp2_settings_default(&s);
  s.initial_ts = now;
  s.handshake_timeout =
      c.settings.handshake_timeout == 0 ? UINT64_MAX : c.settings.handshake_timeout;
  s.max_window = c.settings.max_conn_window;
  s.max_stream_window = c.settings.max_stream_window;
  if (log::get("quic").should_log(spdlog::level::trace)) {
    s.log_printf = log_printf;
  }
  open_qlog(c, odcid, s);
  return s;
}

ngtcp2_transport_params make_params(const TransportSettings& t) {
  ngtcp2_transport_params p;
  ngtcp2_transport_params_default(&p);
  p.initial_max_stream_data_bidi_local = t.stream_window;
  p.initial_max_stream_data_bidi_remote = t.stream_window;
  p.initial_max_stream_data_uni = 0;
  p.initial_max_data = t.conn_window;
  p.initial_max_streams_bidi = t.max_streams_bidi;
  p.initial_max_streams_uni = 0;
  p.max_idle_timeout = t.idle_timeout;
  p.active_connection_id_limit = kActiveCidLimit;
  return p;
}

Result<void> attach_tls(Impl& c) {
  c.conn_ref.get_conn = get_conn;
  c.conn_ref.user_data = &c;
  auto s = detail::make_tls_session(*c.tls, c.server_name, &c.conn_ref);
  if (!s) {
    return Unexpected(std::move(s).error());
  }
  c.session = *s;
  ngtcp2_conn_set_tls_native_handle(c.conn, c.session);
  if (c.settings.keepalive > 0) {
    ngtcp2_conn_set_keep_alive_timeout(c.conn, c.settings.keepalive);
  }
  return {};
}

Result<void> check_ngtcp2(int rv, const char* what) {
  if (rv != 0) {
    return make_error(Errc::kInternal, std::string(what) + ": " + ngtcp2_strerror(rv));
  }
  return {};
}

}  // namespace

Result<void> Impl::init_client(const ClientConfig& config, const Path& p, Timestamp now) {
  server = false;
  settings = config.transport;
  tls = config.tls;
  server_name = config.server_name;
  static_secret.resize(32);
  fill_random(static_secret);
  path = p;
  ngtcp2_cid dcid = random_cid(kClientCidLen);
  ngtcp2_cid scid = random_cid(kClientCidLen);
  id = to_hex({dcid.data, dcid.datalen});
  ngtcp2_settings s = make_settings(*this, dcid, now);
  ngtcp2_transport_params params = make_params(settings);
  ngtcp2_path np = to_ngtcp2(p);
  CONNSWAP_TRY(check_ngtcp2(ngtcp2_conn_client_new(&conn,
                                                   &dcid,
                                                   &scid,
                                                   &np,
                                                   NGTCP2_PROTO_VER_V1,
                                                   &client_callbacks(),
                                                   &s,
                                                   &params,
                                                   nullptr,
                                                   this),
                            "ngtcp2_conn_client_new"));
  return attach_tls(*this);
}

Result<void> Impl::init_server(
    const ServerConfig& config, const Path& p, ByteSpan pkt, Timestamp now, ByteSpan retry_odcid) {
  server = true;
  settings = config.transport;
  tls = config.tls;
  static_secret = config.static_secret;
  path = p;
  ngtcp2_pkt_hd hd{};
  if (ngtcp2_accept(&hd, pkt.data(), pkt.size()) != 0) {
    return make_error(Errc::kProtocol, "not an acceptable client Initial");
  }
  id = to_hex({hd.dcid.data, hd.dcid.datalen});
  ngtcp2_cid scid = random_cid(kServerCidLen);
  ngtcp2_settings s = make_settings(*this, hd.dcid, now);
  if (!retry_odcid.empty()) {
    s.token = hd.token;  // verified by the endpoint: the client's address is validated
  }
  ngtcp2_transport_params params = make_params(settings);
  params.original_dcid = hd.dcid;
  if (!retry_odcid.empty()) {
    // RFC 9000 §7.3: after a Retry the client's DCID is our Retry SCID.
    ngtcp2_cid_init(&params.original_dcid, retry_odcid.data(), retry_odcid.size());
    params.retry_scid = hd.dcid;
    params.retry_scid_present = 1;
  }
  params.stateless_reset_token_present = 1;
  if (ngtcp2_crypto_generate_stateless_reset_token(
          params.stateless_reset_token, static_secret.data(), static_secret.size(), &scid) != 0) {
    return make_error(Errc::kInternal, "cannot derive a stateless reset token");
  }
  ngtcp2_path np = to_ngtcp2(p);
  CONNSWAP_TRY(check_ngtcp2(
      ngtcp2_conn_server_new(
          &conn, &hd.scid, &scid, &np, hd.version, &server_callbacks(), &s, &params, nullptr, this),
      "ngtcp2_conn_server_new"));
  CONNSWAP_TRY(attach_tls(*this));
  // The endpoint routes by every CID that reaches us: the client's chosen DCID (its Initial
  // retransmissions) and the SCID we picked.
  cid_changes.push_back(CidChange{Bytes(hd.dcid.data, hd.dcid.data + hd.dcid.datalen), true});
  cid_changes.push_back(CidChange{Bytes(scid.data, scid.data + scid.datalen), true});
  // A failing first packet (e.g. ALPN mismatch) still yields a connection: it owes the
  // client a CONNECTION_CLOSE and reports ConnectionClosed.
  (void)on_datagram(p, pkt, now);
  return {};
}

}  // namespace connswap::quic
