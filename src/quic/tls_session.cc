// GnuTLS session setup for QUIC and failure reasons.

#include "quic/tls_session.h"

#include <climits>

#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include "base/log.h"
#include "pki/tls_peer.h"

namespace connswap::quic::detail {
namespace {

// TLS 1.3 only with the QUIC cipher suites; QUIC forbids the middlebox compatibility mode
// (RFC 9001 §8.4), which GnuTLS enables unless told otherwise.
constexpr const char* kPriority =
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:"
    "+AES-128-CCM:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-SECP521R1:"
    "%DISABLE_TLS13_COMPAT_MODE";

Result<void> gtls_check(int rv, const char* what) {
  if (rv < 0) {
    return make_error(Errc::kTls, std::string(what) + ": " + gnutls_strerror(rv));
  }
  return {};
}

bool is_ip_literal(const std::string& name) {
  return name.find(':') != std::string::npos ||
         name.find_first_not_of("0123456789.") == std::string::npos;
}

Result<void> configure_client(gnutls_session_t s,
                              const TlsContext& ctx,
                              const std::string& server_name) {
  CONNSWAP_TRY(gtls_check(ngtcp2_crypto_gnutls_configure_client_session(s) == 0 ? 0 : -1,
                          "ngtcp2_crypto_gnutls_configure_client_session"));
  // RFC 6066 §3: SNI carries DNS names only.
  if (!server_name.empty() && !is_ip_literal(server_name)) {
    CONNSWAP_TRY(gtls_check(
        gnutls_server_name_set(s, GNUTLS_NAME_DNS, server_name.data(), server_name.size()),
        "gnutls_server_name_set"));
  }
  if (ctx.insecure()) {
    log::get("quic").warn("TLS certificate verification DISABLED for server '{}'", server_name);
    return {};
  }
  if (server_name.empty()) {
    return make_error(Errc::kInvalidArgument, "server_name is required to verify the server");
  }
  gnutls_session_set_verify_cert(s, server_name.c_str(), 0);
  return {};
}

Result<void> configure_server(gnutls_session_t s, const TlsContext& ctx) {
  CONNSWAP_TRY(gtls_check(ngtcp2_crypto_gnutls_configure_server_session(s) == 0 ? 0 : -1,
                          "ngtcp2_crypto_gnutls_configure_server_session"));
  if (ctx.requires_client_cert() && ctx.client_cert_optional()) {
    // MGMT ports: none is fine, the application decides; one that is sent must verify.
    pki::request_optional_client_certificate(s);
  } else if (ctx.requires_client_cert()) {
    gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
    gnutls_session_set_verify_cert(s, nullptr, 0);
  }
  return {};
}

Result<void> configure(gnutls_session_t s,
                       const TlsContext& ctx,
                       const std::string& server_name,
                       ngtcp2_crypto_conn_ref* conn_ref) {
  CONNSWAP_TRY(gtls_check(gnutls_priority_set_direct(s, kPriority, nullptr), "TLS priority"));
  if (ctx.is_server()) {
    CONNSWAP_TRY(configure_server(s, ctx));
  } else {
    CONNSWAP_TRY(configure_client(s, ctx, server_name));
  }
  gnutls_session_set_ptr(s, conn_ref);
  CONNSWAP_TRY(gtls_check(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, ctx.credentials()),
                          "gnutls_credentials_set"));
  gnutls_datum_t alpn{reinterpret_cast<unsigned char*>(const_cast<char*>(ctx.alpn().data())),
                      static_cast<unsigned>(ctx.alpn().size())};
  return gtls_check(gnutls_alpn_set_protocols(s, &alpn, 1, GNUTLS_ALPN_MANDATORY),
                    "gnutls_alpn_set_protocols");
}

std::string alert_name(std::uint8_t alert) {
  const char* name = gnutls_alert_get_name(static_cast<gnutls_alert_description_t>(alert));
  return std::string(name != nullptr ? name : "unknown") + " (" + std::to_string(alert) + ")";
}

}  // namespace

Result<gnutls_session_t> make_tls_session(const TlsContext& ctx,
                                          const std::string& server_name,
                                          ngtcp2_crypto_conn_ref* conn_ref) {
  // No resumption or 0-RTT yet, so the server sends no session tickets.
  unsigned flags = ctx.is_server() ? (GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET) : GNUTLS_CLIENT;
  gnutls_session_t s = nullptr;
  CONNSWAP_TRY(gtls_check(gnutls_init(&s, flags), "gnutls_init"));
  auto r = configure(s, ctx, server_name, conn_ref);
  if (!r) {
    gnutls_deinit(s);
    return Unexpected(std::move(r).error());
  }
  return s;
}

std::string selected_alpn(gnutls_session_t session) {
  gnutls_datum_t proto{};
  if (gnutls_alpn_get_selected_protocol(session, &proto) != 0) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(proto.data), proto.size);
}

bool is_certificate_alert(std::uint8_t alert) {
  switch (alert) {
    case GNUTLS_A_BAD_CERTIFICATE:
    case GNUTLS_A_UNSUPPORTED_CERTIFICATE:
    case GNUTLS_A_CERTIFICATE_REVOKED:
    case GNUTLS_A_CERTIFICATE_EXPIRED:
    case GNUTLS_A_CERTIFICATE_UNKNOWN:
    case GNUTLS_A_UNKNOWN_CA:
    case GNUTLS_A_CERTIFICATE_REQUIRED:
      return true;
    default:
      return false;
  }
}

bool peer_certificate_presented(gnutls_session_t session) {
  return pki::tls_peer_of(session).presented;
}

PeerCertificate peer_certificate(gnutls_session_t session) {
  pki::TlsPeer peer = pki::tls_peer_of(session);
  return {peer.roles, std::move(peer.fingerprint)};
}

std::string local_failure_reason(gnutls_session_t session, std::uint8_t alert) {
  // UINT_MAX: no verification ran (a server without mTLS, or an insecure client).
  unsigned status = gnutls_session_get_verify_cert_status(session);
  if (status != 0 && status != UINT_MAX) {
    gnutls_datum_t text{};
    std::string detail = "status " + std::to_string(status);
    if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0) {
      detail.assign(reinterpret_cast<const char*>(text.data), text.size);
      gnutls_free(text.data);
    }
    return "certificate verification failed: " + detail;
  }
  if (alert == GNUTLS_A_NO_APPLICATION_PROTOCOL) {
    return "ALPN mismatch: the peer offered no protocol we accept (TLS alert " + alert_name(alert) +
           ")";
  }
  if (is_certificate_alert(alert)) {
    return "certificate verification failed: TLS alert " + alert_name(alert);
  }
  return "TLS handshake failed: alert " + alert_name(alert);
}

std::string peer_alert_reason(std::uint8_t alert) {
  if (alert == GNUTLS_A_NO_APPLICATION_PROTOCOL) {
    return "ALPN mismatch: the peer rejected our protocol (TLS alert " + alert_name(alert) + ")";
  }
  if (is_certificate_alert(alert)) {
    return "certificate verification failed at the peer: TLS alert " + alert_name(alert);
  }
  return "peer aborted the TLS handshake: alert " + alert_name(alert);
}

}  // namespace connswap::quic::detail
