#pragma once
// TLS for the HTTP front (--http-tls), sans-IO over GnuTLS: ciphertext from the socket in,
// plaintext for the HTTP session out; plaintext from the session in, ciphertext for the
// socket out. GnuTLS reads and writes only memory buffers here (custom push/pull), so the
// connection's socket, deadlines and limits stay where they are (src/net/tcp.h). TLS 1.2
// and 1.3 as GnuTLS's default priorities allow, ALPN "http/1.1", no renegotiation; an
// optional client certificate when asked (the status routes' operator-only access).

#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "pki/tls_peer.h"

namespace connswap::front {

class TlsStream {
 public:
  // `credentials`: a gnutls_certificate_credentials_t holding the server's certificate and
  // key (quic::TlsContext::credentials() of the USER port); it must outlive the stream.
  // `ask_client_certificate`: request an optional client certificate, verified against the
  // credentials' trust (the MGMT port's credentials hold the cluster CA); see peer().
  static Result<std::unique_ptr<TlsStream>> make_server(void* credentials,
                                                        bool ask_client_certificate = false);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Ciphertext from the peer. Decrypted application bytes are appended to `plain`.
  // kTls with GnuTLS's reason for a failed handshake, a bad record or an alert (the
  // connection should close; output() may hold an alert to send first).
  Result<void> feed(std::string_view cipher, std::string& plain);
  // Application bytes to send; their records are appended to output(). kTls if the
  // handshake has not finished or the session failed.
  Result<void> send(std::string_view plain);
  // close_notify into output(); nothing can be sent after it.
  void close();

  // Ciphertext to write to the socket (handshake messages, records, alerts), taken.
  std::string take_output();
  bool handshake_done() const { return handshake_done_; }
  // The client's verified certificate (roles, fingerprint); empty before the handshake is
  // done or when the client sent none.
  const pki::TlsPeer& peer() const { return peer_; }
  bool peer_closed() const { return peer_closed_; }  // close_notify received

 private:
  TlsStream() = default;
  friend struct TlsIo;  // GnuTLS's push/pull callbacks (tls_stream.cc)
  Result<void> handshake();
  Unexpected<Error> fail(const char* what, int rc);

  void* session_ = nullptr;  // gnutls_session_t
  std::string in_;           // ciphertext not yet read by GnuTLS
  std::size_t in_pos_ = 0;
  std::string out_;
  bool handshake_done_ = false;
  bool peer_closed_ = false;
  bool failed_ = false;
  bool closed_ = false;
  pki::TlsPeer peer_;
};

}  // namespace connswap::front
