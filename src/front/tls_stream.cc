#include "front/tls_stream.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <gnutls/gnutls.h>
#include <sys/types.h>

namespace connswap::front {

namespace {

constexpr std::string_view kAlpn = "http/1.1";
// Non-fatal results (warning alerts, renegotiation requests) one feed() goes round for; a
// peer sending more is cut off, so the director's loop never spins on one connection.
constexpr int kMaxWarnings = 32;

gnutls_session_t as_session(void* s) {
  return static_cast<gnutls_session_t>(s);
}

}  // namespace

// GnuTLS reads from and writes to the stream's buffers only.
struct TlsIo {
  static ssize_t push(gnutls_transport_ptr_t self, const void* data, size_t size) {
    static_cast<TlsStream*>(self)->out_.append(static_cast<const char*>(data), size);
    return static_cast<ssize_t>(size);
  }

  static ssize_t pull(gnutls_transport_ptr_t self, void* data, size_t size) {
    auto* t = static_cast<TlsStream*>(self);
    const std::size_t left = t->in_.size() - t->in_pos_;
    if (left == 0) {
      gnutls_transport_set_errno(as_session(t->session_), EAGAIN);
      return -1;
    }
    const std::size_t n = std::min(left, size);
    std::memcpy(data, t->in_.data() + t->in_pos_, n);
    t->in_pos_ += n;
    if (t->in_pos_ == t->in_.size()) {
      t->in_.clear();
      t->in_pos_ = 0;
    }
    return static_cast<ssize_t>(n);
  }
};

Result<std::unique_ptr<TlsStream>> TlsStream::make_server(void* credentials,
                                                          bool ask_client_certificate) {
  std::unique_ptr<TlsStream> t(new TlsStream());
  gnutls_session_t session = nullptr;
  int rc = gnutls_init(&session, GNUTLS_SERVER | GNUTLS_NONBLOCK);
  if (rc != GNUTLS_E_SUCCESS) {
    return make_error(Errc::kTls, std::string("gnutls_init: ") + gnutls_strerror(rc));
  }
  t->session_ = session;
  rc = gnutls_set_default_priority(session);
  if (rc == GNUTLS_E_SUCCESS) {
    rc = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, credentials);
  }
  if (rc == GNUTLS_E_SUCCESS) {
    gnutls_datum_t alpn{reinterpret_cast<unsigned char*>(const_cast<char*>(kAlpn.data())),
                        static_cast<unsigned int>(kAlpn.size())};
    rc = gnutls_alpn_set_protocols(session, &alpn, 1, 0);
  }
  if (rc != GNUTLS_E_SUCCESS) {
    return make_error(Errc::kTls, std::string("TLS session set-up: ") + gnutls_strerror(rc));
  }
  if (ask_client_certificate) {
    pki::request_optional_client_certificate(session);
  } else {
    gnutls_certificate_server_set_request(session, GNUTLS_CERT_IGNORE);
  }
  gnutls_transport_set_ptr(session, t.get());
  gnutls_transport_set_push_function(session, &TlsIo::push);
  gnutls_transport_set_pull_function(session, &TlsIo::pull);
  return t;
}

TlsStream::~TlsStream() {
  if (session_ != nullptr) {
    gnutls_deinit(as_session(session_));
  }
}

Unexpected<Error> TlsStream::fail(const char* what, int rc) {
  failed_ = true;
  return make_error(Errc::kTls, std::string(what) + ": " + gnutls_strerror(rc));
}

Result<void> TlsStream::handshake() {
  for (int warnings = 0; warnings < kMaxWarnings; ++warnings) {
    const int rc = gnutls_handshake(as_session(session_));
    if (rc == GNUTLS_E_SUCCESS) {
      handshake_done_ = true;
      peer_ = pki::tls_peer_of(session_);
      return {};
    }
    if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
      return {};  // more from the peer first
    }
    if (gnutls_error_is_fatal(rc) != 0) {
      return fail("TLS handshake", rc);
    }
    // A warning alert: go on.
  }
  return fail("TLS handshake: too many warnings", GNUTLS_E_UNEXPECTED_PACKET);
}

Result<void> TlsStream::feed(std::string_view cipher, std::string& plain) {
  if (failed_) {
    return make_error(Errc::kTls, "TLS session already failed");
  }
  in_.append(cipher);
  if (!handshake_done_) {
    CONNSWAP_TRY(handshake());
    if (!handshake_done_) {
      return {};
    }
  }
  char buf[16 * 1024];
  int warnings = 0;
  while (!peer_closed_) {
    const ssize_t n = gnutls_record_recv(as_session(session_), buf, sizeof buf);
    if (n > 0) {
      plain.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0) {
      peer_closed_ = true;
    } else if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
      return {};
    } else if (gnutls_error_is_fatal(static_cast<int>(n)) != 0 || ++warnings > kMaxWarnings) {
      return fail("TLS record", static_cast<int>(n));
    } else if (n == GNUTLS_E_REHANDSHAKE) {
      // A TLS 1.2 client asking to renegotiate: refused (a warning alert), not followed.
      gnutls_alert_send(as_session(session_), GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION);
    }
  }
  return {};
}

Result<void> TlsStream::send(std::string_view plain) {
  if (failed_ || closed_ || !handshake_done_) {
    return make_error(Errc::kTls, "TLS session not ready to send");
  }
  while (!plain.empty()) {
    const ssize_t n = gnutls_record_send(as_session(session_), plain.data(), plain.size());
    if (n < 0) {  // the push function never blocks, so not even GNUTLS_E_AGAIN
      return fail("TLS send", static_cast<int>(n));
    }
    plain.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

void TlsStream::close() {
  if (closed_ || failed_ || !handshake_done_) {
    closed_ = true;
    return;
  }
  closed_ = true;
  gnutls_bye(as_session(session_), GNUTLS_SHUT_WR);
}

std::string TlsStream::take_output() {
  std::string out;
  out.swap(out_);
  return out;
}

}  // namespace connswap::front
