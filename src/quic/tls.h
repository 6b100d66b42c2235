#pragma once
// TLS credentials and policy for QUIC (GnuTLS). One context is shared by every connection of
// an endpoint (shared_ptr: connections hold it, the endpoint may go first).

#include <memory>
#include <string>

#include "base/error.h"
#include "quic/types.h"

namespace connswap::quic {

struct ServerTlsOptions {
  std::string cert_file;       // PEM chain
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // non-empty: require client certificates from this CA (mTLS)
  // With client_ca_file: a client that sends no certificate still completes the handshake
  // (Connection::peer_certificate_presented() is false; the application decides); one that
  // sends a certificate the CA does not verify still fails it.
  bool client_cert_optional = false;
  std::string alpn = std::string(kAlpn);  // the only protocol accepted (mandatory)
};

struct ClientTlsOptions {
  std::string ca_file;    // PEM trust anchors; verification is ON unless insecure
  std::string cert_file;  // optional client certificate (mTLS)
  std::string key_file;
  bool insecure_skip_verify = false;      // logged loudly at warn on every connection
  std::string alpn = std::string(kAlpn);  // offered protocol; the server must select it
};

class TlsContext {
 public:
  static Result<std::shared_ptr<const TlsContext>> make_server(const ServerTlsOptions& options);
  static Result<std::shared_ptr<const TlsContext>> make_client(const ClientTlsOptions& options);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  bool is_server() const { return server_; }
  bool insecure() const { return insecure_; }
  bool requires_client_cert() const { return require_client_cert_; }
  bool client_cert_optional() const { return client_cert_optional_; }  // see ServerTlsOptions
  void* credentials() const { return creds_; }  // gnutls_certificate_credentials_t
  const std::string& alpn() const { return alpn_; }

 private:
  TlsContext() = default;
  void* creds_ = nullptr;
  std::string alpn_;
  bool server_ = false;
  bool insecure_ = false;
  bool require_client_cert_ = false;
  bool client_cert_optional_ = false;
};

}  // namespace connswap::quic
