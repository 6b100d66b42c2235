#include "pki/tls_peer.h"

#include <array>
#include <cstdint>
#include <string_view>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "base/bytes.h"

namespace connswap::pki {
namespace {

gnutls_session_t as_session(void* session) {
  return static_cast<gnutls_session_t>(session);
}

int verify_optional_client_cert(gnutls_session_t s) {
  unsigned count = 0;
  if (gnutls_certificate_get_peers(s, &count) == nullptr || count == 0) {
    return 0;
  }
  unsigned status = 0;
  if (gnutls_certificate_verify_peers2(s, &status) < 0 || status != 0) {
    return -1;
  }
  return 0;
}

// Every SAN of the leaf in order; a URI that is not connswap:role:<name> is ignored.
RoleSet roles_of(const gnutls_datum_t& der) {
  RoleSet roles;
  gnutls_x509_crt_t crt = nullptr;
  if (gnutls_x509_crt_init(&crt) < 0) {
    return roles;
  }
  if (gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) == 0) {
    for (unsigned i = 0;; ++i) {
      std::array<char, 256> name{};
      std::size_t len = name.size();
      const int type = gnutls_x509_crt_get_subject_alt_name(crt, i, name.data(), &len, nullptr);
      if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
        break;
      }
      if (type != GNUTLS_SAN_URI) {
        continue;  // another kind, or too long to be a role (GNUTLS_E_SHORT_MEMORY_BUFFER)
      }
      if (auto role = role_from_uri(std::string_view(name.data(), len))) {
        roles.add(*role);
      }
    }
  }
  gnutls_x509_crt_deinit(crt);
  return roles;
}

}  // namespace

TlsPeer tls_peer_of(void* session) {
  unsigned count = 0;
  const gnutls_datum_t* chain = gnutls_certificate_get_peers(as_session(session), &count);
  if (chain == nullptr || count == 0) {
    return {};
  }
  TlsPeer out;
  out.presented = true;
  std::array<std::uint8_t, 32> digest{};
  std::size_t size = digest.size();
  if (gnutls_fingerprint(GNUTLS_DIG_SHA256, &chain[0], digest.data(), &size) == 0) {
    out.fingerprint = to_hex(ByteSpan(digest.data(), size));
  }
  out.roles = roles_of(chain[0]);
  return out;
}

void request_optional_client_certificate(void* session) {
  gnutls_session_t s = as_session(session);
  gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
  gnutls_certificate_send_x509_rdn_sequence(s, 1);
  gnutls_session_set_verify_function(s, verify_optional_client_cert);
}

}  // namespace connswap::pki
