#include "pki/detail/x509.h"

#include <array>
#include <cstring>

#include "pki/detail/ec_key_der.h"

namespace connswap::pki::detail {
namespace {

gnutls_datum_t as_datum(std::string_view s) {
  // GnuTLS takes non-const pointers but only reads import data.
  return {reinterpret_cast<unsigned char*>(const_cast<char*>(s.data())),
          static_cast<unsigned int>(s.size())};
}

std::string take_datum(gnutls_datum_t& d) {
  std::string out(reinterpret_cast<const char*>(d.data), d.size);
  gnutls_free(d.data);
  d.data = nullptr;
  return out;
}

}  // namespace

Unexpected<Error> tls_error(std::string_view what, int rc) {
  return make_error(Errc::kTls, std::string(what) + ": " + gnutls_strerror(rc));
}

Result<Crt> new_crt() {
  gnutls_x509_crt_t raw = nullptr;
  if (int rc = gnutls_x509_crt_init(&raw); rc < 0) {
    return tls_error("gnutls_x509_crt_init", rc);
  }
  return Crt(raw);
}

Result<Privkey> new_privkey() {
  gnutls_x509_privkey_t raw = nullptr;
  if (int rc = gnutls_x509_privkey_init(&raw); rc < 0) {
    return tls_error("gnutls_x509_privkey_init", rc);
  }
  return Privkey(raw);
}

Result<Crt> import_crt(std::string_view pem) {
  auto crt = new_crt();
  if (!crt) {
    return Unexpected(std::move(crt).error());
  }
  gnutls_datum_t d = as_datum(pem);
  if (int rc = gnutls_x509_crt_import(crt->get(), &d, GNUTLS_X509_FMT_PEM); rc < 0) {
    return tls_error("parsing certificate PEM", rc);
  }
  return crt;
}

Result<Privkey> import_privkey(std::string_view pem) {
  auto key = new_privkey();
  if (!key) {
    return Unexpected(std::move(key).error());
  }
  gnutls_datum_t d = as_datum(pem);
  // Accepts PKCS#1/SEC1 and unencrypted PKCS#8.
  if (int rc = gnutls_x509_privkey_import2(key->get(), &d, GNUTLS_X509_FMT_PEM, nullptr, 0);
      rc < 0) {
    return tls_error("parsing private key PEM", rc);
  }
  return key;
}

Result<std::string> export_crt(gnutls_x509_crt_t crt) {
  gnutls_datum_t d{};
  if (int rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d); rc < 0) {
    return tls_error("gnutls_x509_crt_export2", rc);
  }
  return take_datum(d);
}

Result<std::string> export_privkey(gnutls_x509_privkey_t key) {
  if (gnutls_x509_privkey_get_pk_algorithm(key) == GNUTLS_PK_ECDSA) {
    // GnuTLS's own export writes some scalars as 33 bytes (ec_key_der.h).
    return p256_pkcs8_pem(key);
  }
  gnutls_datum_t d{};
  if (int rc = gnutls_x509_privkey_export2_pkcs8(
          key, GNUTLS_X509_FMT_PEM, nullptr, GNUTLS_PKCS_PLAIN, &d);
      rc < 0) {
    return tls_error("gnutls_x509_privkey_export2_pkcs8", rc);
  }
  return take_datum(d);
}

Result<void> check_key_matches(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key) {
  std::array<unsigned char, 64> crt_id{};
  std::array<unsigned char, 64> key_id{};
  std::size_t crt_len = crt_id.size();
  std::size_t key_len = key_id.size();
  if (int rc = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, crt_id.data(), &crt_len);
      rc < 0) {
    return tls_error("certificate key id", rc);
  }
  if (int rc =
          gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, key_id.data(), &key_len);
      rc < 0) {
    return tls_error("private key id", rc);
  }
  if (crt_len != key_len || std::memcmp(crt_id.data(), key_id.data(), crt_len) != 0) {
    return make_error(Errc::kTls, "private key does not match the certificate");
  }
  return {};
}

}  // namespace connswap::pki::detail
