#pragma once
// Private to pki/: RAII owners for GnuTLS x509 handles and PEM import/export helpers.
// Only pki/*.cc include this header; GnuTLS types never reach public headers.

#include <memory>
#include <string>
#include <string_view>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "base/error.h"

namespace connswap::pki::detail {

struct CrtDeleter {
  void operator()(gnutls_x509_crt_int* crt) const noexcept { gnutls_x509_crt_deinit(crt); }
};
struct PrivkeyDeleter {
  void operator()(gnutls_x509_privkey_int* key) const noexcept { gnutls_x509_privkey_deinit(key); }
};

// Owned gnutls_x509_crt_t / gnutls_x509_privkey_t.
using Crt = std::unique_ptr<gnutls_x509_crt_int, CrtDeleter>;
using Privkey = std::unique_ptr<gnutls_x509_privkey_int, PrivkeyDeleter>;

// Errc::kTls error "<what>: <gnutls_strerror(rc)>".
Unexpected<Error> tls_error(std::string_view what, int rc);

// Empty handles; kTls if GnuTLS cannot allocate.
Result<Crt> new_crt();
Result<Privkey> new_privkey();

// Parse one PEM certificate / private key (any format GnuTLS accepts).
Result<Crt> import_crt(std::string_view pem);
Result<Privkey> import_privkey(std::string_view pem);

// PEM text of a certificate / an unencrypted PKCS#8 private key (ECDSA P-256: the fixed
// RFC 5915 layout of ec_key_der.h; other curves are refused, kInvalidArgument).
Result<std::string> export_crt(gnutls_x509_crt_t crt);
Result<std::string> export_privkey(gnutls_x509_privkey_t key);

// kTls unless `key` is the private key for `crt`'s public key.
Result<void> check_key_matches(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key);

}  // namespace connswap::pki::detail
