// TlsContext: GnuTLS certificate credentials shared by every connection of an endpoint.

#include "quic/tls.h"

#include <string>

#include <gnutls/gnutls.h>

#include "base/log.h"

namespace connswap::quic {
namespace {

using Creds = gnutls_certificate_credentials_t;

Result<void> check_alpn(const std::string& alpn) {
  if (alpn.empty() || alpn.size() > 255) {
    return make_error(Errc::kInvalidArgument, "ALPN must be 1..255 bytes");
  }
  return {};
}

Result<void> load_key_pair(Creds creds, const std::string& cert, const std::string& key) {
  int rv =
      gnutls_certificate_set_x509_key_file(creds, cert.c_str(), key.c_str(), GNUTLS_X509_FMT_PEM);
  if (rv < 0) {
    return make_error(Errc::kTls,
                      "loading certificate " + cert + " / key " + key + ": " + gnutls_strerror(rv));
  }
  return {};
}

Result<void> load_trust(Creds creds, const std::string& ca_file) {
  int rv = gnutls_certificate_set_x509_trust_file(creds, ca_file.c_str(), GNUTLS_X509_FMT_PEM);
  if (rv < 0) {
    return make_error(Errc::kTls, "loading CA file " + ca_file + ": " + gnutls_strerror(rv));
  }
  if (rv == 0) {
    return make_error(Errc::kTls, "CA file " + ca_file + " holds no certificate");
  }
  return {};
}

}  // namespace

TlsContext::~TlsContext() {
  if (creds_ != nullptr) {
    gnutls_certificate_free_credentials(static_cast<Creds>(creds_));
  }
}

Result<std::shared_ptr<const TlsContext>> TlsContext::make_server(const ServerTlsOptions& options) {
  CONNSWAP_TRY(check_alpn(options.alpn));
  if (options.cert_file.empty() || options.key_file.empty()) {
    return make_error(Errc::kInvalidArgument, "server TLS needs cert_file and key_file");
  }
  std::shared_ptr<TlsContext> ctx(new TlsContext());
  Creds creds = nullptr;
  if (gnutls_certificate_allocate_credentials(&creds) != 0) {
    return make_error(Errc::kTls, "gnutls_certificate_allocate_credentials failed");
  }
  ctx->creds_ = creds;
  ctx->server_ = true;
  ctx->alpn_ = options.alpn;
  CONNSWAP_TRY(load_key_pair(creds, options.cert_file, options.key_file));
  if (!options.client_ca_file.empty()) {
    CONNSWAP_TRY(load_trust(creds, options.client_ca_file));
    ctx->require_client_cert_ = true;
    ctx->client_cert_optional_ = options.client_cert_optional;
  }
  return std::shared_ptr<const TlsContext>(std::move(ctx));
}

Result<std::shared_ptr<const TlsContext>> TlsContext::make_client(const ClientTlsOptions& options) {
  CONNSWAP_TRY(check_alpn(options.alpn));
  if (options.cert_file.empty() != options.key_file.empty()) {
    return make_error(Errc::kInvalidArgument, "client cert_file and key_file go together");
  }
  std::shared_ptr<TlsContext> ctx(new TlsContext());
  Creds creds = nullptr;
  if (gnutls_certificate_allocate_credentials(&creds) != 0) {
    return make_error(Errc::kTls, "gnutls_certificate_allocate_credentials failed");
  }
  ctx->creds_ = creds;
  ctx->alpn_ = options.alpn;
  ctx->insecure_ = options.insecure_skip_verify;
  if (!options.ca_file.empty()) {
    CONNSWAP_TRY(load_trust(creds, options.ca_file));
  } else if (!options.insecure_skip_verify) {
    int rv = gnutls_certificate_set_x509_system_trust(creds);
    if (rv <= 0) {
      return make_error(Errc::kTls, "no ca_file given and no system trust store usable");
    }
  }
  if (!options.cert_file.empty()) {
    CONNSWAP_TRY(load_key_pair(creds, options.cert_file, options.key_file));
  }
  if (options.insecure_skip_verify) {
    log::get("quic").warn(
        "insecure_skip_verify=true: server certificates will NOT be verified; anyone on the "
        "path can impersonate the server");
  }
  return std::shared_ptr<const TlsContext>(std::move(ctx));
}

}  // namespace connswap::quic
