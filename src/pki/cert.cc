#include "pki/cert.h"

#include <array>
#include <ctime>

#include <arpa/inet.h>

#include "base/random.h"
#include "pki/detail/x509.h"

namespace connswap::pki {
namespace {

using detail::Crt;
using detail::Privkey;
using detail::tls_error;

constexpr std::uint32_t kMaxValidityDays = 36500;
// Backdate notBefore so that peers with a slightly slow clock accept a fresh certificate.
constexpr std::time_t kClockSkewSeconds = 3600;

Result<void> check_validity(std::uint32_t days) {
  if (days == 0 || days > kMaxValidityDays) {
    return make_error(Errc::kInvalidArgument,
                      "validity must be 1.." + std::to_string(kMaxValidityDays) + " days, got " +
                          std::to_string(days));
  }
  return {};
}

// RFC 1035 letters/digits/hyphens/dots, plus a leading "*." wildcard label.
Result<void> check_dns_name(std::string_view name) {
  std::string_view rest = name;
  if (rest.starts_with("*.")) {
    rest.remove_prefix(2);
  }
  bool ok = !rest.empty() && rest.size() <= 253 && rest.front() != '.' && rest.back() != '.' &&
            rest.find("..") == std::string_view::npos;
  for (char c : rest) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    ok = ok && (alnum || c == '-' || c == '.');
  }
  if (!ok) {
    return make_error(Errc::kInvalidArgument, "invalid DNS name '" + std::string(name) + "'");
  }
  return {};
}

// Binary form of an IPv4 or IPv6 address (4 or 16 bytes), as a SAN iPAddress stores it.
Result<std::string> parse_ip(std::string_view text) {
  std::string z(text);
  std::array<unsigned char, 16> buf{};
  if (inet_pton(AF_INET, z.c_str(), buf.data()) == 1) {
    return std::string(reinterpret_cast<const char*>(buf.data()), 4);
  }
  if (inet_pton(AF_INET6, z.c_str(), buf.data()) == 1) {
    return std::string(reinterpret_cast<const char*>(buf.data()), 16);
  }
  return make_error(Errc::kInvalidArgument, "invalid IP address '" + z + "'");
}

Result<Privkey> generate_key() {
  auto key = detail::new_privkey();
  if (!key) {
    return key;
  }
  int rc = gnutls_x509_privkey_generate(
      key->get(), GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
  if (rc < 0) {
    return tls_error("generating ECDSA P-256 key", rc);
  }
  return key;
}

// Version, key, CN, random serial, validity and subject key id: what every cert shares.
Result<Crt> new_cert(gnutls_x509_privkey_t key, const std::string& cn, std::uint32_t days) {
  auto crt = detail::new_crt();
  if (!crt) {
    return crt;
  }
  gnutls_x509_crt_t c = crt->get();
  // RFC 5280 §4.1.2.2: positive, at most 20 octets; 128 random bits (top bit clear).
  std::array<std::uint8_t, 16> serial{};
  fill_random(serial);
  serial[0] = static_cast<std::uint8_t>((serial[0] & 0x7f) | 0x01);
  std::time_t now = std::time(nullptr);
  std::array<unsigned char, 64> key_id{};
  std::size_t key_id_len = key_id.size();
  int rc = 0;
  if ((rc = gnutls_x509_crt_set_version(c, 3)) < 0 || (rc = gnutls_x509_crt_set_key(c, key)) < 0 ||
      (rc = gnutls_x509_crt_set_dn_by_oid(
           c, GNUTLS_OID_X520_COMMON_NAME, 0, cn.data(), static_cast<unsigned>(cn.size()))) < 0 ||
      (rc = gnutls_x509_crt_set_serial(c, serial.data(), serial.size())) < 0 ||
      (rc = gnutls_x509_crt_set_activation_time(c, now - kClockSkewSeconds)) < 0 ||
      (rc = gnutls_x509_crt_set_expiration_time(c, now + std::time_t{days} * 86400)) < 0 ||
      (rc = gnutls_x509_crt_get_key_id(c, GNUTLS_KEYID_USE_SHA1, key_id.data(), &key_id_len)) < 0 ||
      (rc = gnutls_x509_crt_set_subject_key_id(c, key_id.data(), key_id_len)) < 0) {
    return tls_error("building certificate", rc);
  }
  return crt;
}

Result<void> add_sans(gnutls_x509_crt_t crt, const LeafOptions& options) {
  for (const std::string& name : options.dns_names) {
    int rc = gnutls_x509_crt_set_subject_alt_name(crt,
                                                  GNUTLS_SAN_DNSNAME,
                                                  name.data(),
                                                  static_cast<unsigned>(name.size()),
                                                  GNUTLS_FSAN_APPEND);
    if (rc < 0) {
      return tls_error("adding DNS SAN " + name, rc);
    }
  }
  for (const std::string& text : options.ip_addresses) {
    auto ip = parse_ip(text);
    if (!ip) {
      return Unexpected(std::move(ip).error());
    }
    int rc = gnutls_x509_crt_set_subject_alt_name(crt,
                                                  GNUTLS_SAN_IPADDRESS,
                                                  ip->data(),
                                                  static_cast<unsigned>(ip->size()),
                                                  GNUTLS_FSAN_APPEND);
    if (rc < 0) {
      return tls_error("adding IP SAN " + text, rc);
    }
  }
  for (PeerRole role :
       {PeerRole::kWorker, PeerRole::kOperator, PeerRole::kDirector, PeerRole::kClient}) {
    if (!options.roles.has(role)) {
      continue;
    }
    const std::string uri = role_uri(role);
    int rc = gnutls_x509_crt_set_subject_alt_name(
        crt, GNUTLS_SAN_URI, uri.data(), static_cast<unsigned>(uri.size()), GNUTLS_FSAN_APPEND);
    if (rc < 0) {
      return tls_error("adding URI SAN " + uri, rc);
    }
  }
  return {};
}

// The CA pair parsed and checked: a CA certificate whose key matches.
struct Issuer {
  Crt crt;
  Privkey key;
};

Result<Issuer> load_issuer(const CertAndKey& ca) {
  auto crt = detail::import_crt(ca.cert_pem);
  if (!crt) {
    return Unexpected(std::move(crt).error());
  }
  auto key = detail::import_privkey(ca.key_pem);
  if (!key) {
    return Unexpected(std::move(key).error());
  }
  unsigned int is_ca = 0;
  if (gnutls_x509_crt_get_basic_constraints(crt->get(), nullptr, &is_ca, nullptr) < 0 ||
      is_ca == 0) {
    return make_error(Errc::kInvalidArgument, "issuer certificate is not a CA (CA:TRUE missing)");
  }
  if (auto r = detail::check_key_matches(crt->get(), key->get()); !r) {
    return make_error(Errc::kInvalidArgument, "CA " + r.error().detail);
  }
  return Issuer{std::move(*crt), std::move(*key)};
}

Result<CertAndKey> sign_and_export(gnutls_x509_crt_t crt,
                                   gnutls_x509_crt_t issuer,
                                   gnutls_x509_privkey_t issuer_key,
                                   gnutls_x509_privkey_t key) {
  if (int rc = gnutls_x509_crt_sign2(crt, issuer, issuer_key, GNUTLS_DIG_SHA256, 0); rc < 0) {
    return tls_error("signing certificate", rc);
  }
  auto cert_pem = detail::export_crt(crt);
  if (!cert_pem) {
    return Unexpected(std::move(cert_pem).error());
  }
  auto key_pem = detail::export_privkey(key);
  if (!key_pem) {
    return Unexpected(std::move(key_pem).error());
  }
  return CertAndKey{std::move(*cert_pem), std::move(*key_pem)};
}

}  // namespace

Result<void> validate(const CaOptions& options) {
  if (options.common_name.empty()) {
    return make_error(Errc::kInvalidArgument, "CA common name is empty");
  }
  return check_validity(options.validity_days);
}

Result<void> validate(const LeafOptions& options) {
  if (options.common_name.empty()) {
    return make_error(Errc::kInvalidArgument, "leaf common name is empty");
  }
  CONNSWAP_TRY(check_validity(options.validity_days));
  for (const std::string& name : options.dns_names) {
    CONNSWAP_TRY(check_dns_name(name));
  }
  for (const std::string& ip : options.ip_addresses) {
    CONNSWAP_TRY(parse_ip(ip));
  }
  return {};
}

Result<CertAndKey> make_ca(const CaOptions& options) {
  CONNSWAP_TRY(validate(options));
  auto key = generate_key();
  if (!key) {
    return Unexpected(std::move(key).error());
  }
  auto crt = new_cert(key->get(), options.common_name, options.validity_days);
  if (!crt) {
    return Unexpected(std::move(crt).error());
  }
  gnutls_x509_crt_t c = crt->get();
  int rc = 0;
  // pathLenConstraint 0: this CA signs leaves only, never intermediates.
  if ((rc = gnutls_x509_crt_set_basic_constraints(c, 1, 0)) < 0 ||
      (rc = gnutls_x509_crt_set_key_usage(c, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN)) < 0) {
    return tls_error("building CA certificate", rc);
  }
  return sign_and_export(c, c, key->get(), key->get());
}

Result<CertAndKey> make_leaf(const CertAndKey& ca, const LeafOptions& options) {
  CONNSWAP_TRY(validate(options));
  auto issuer = load_issuer(ca);
  if (!issuer) {
    return Unexpected(std::move(issuer).error());
  }
  auto key = generate_key();
  if (!key) {
    return Unexpected(std::move(key).error());
  }
  auto crt = new_cert(key->get(), options.common_name, options.validity_days);
  if (!crt) {
    return Unexpected(std::move(crt).error());
  }
  gnutls_x509_crt_t c = crt->get();
  std::array<unsigned char, 64> ca_key_id{};
  std::size_t ca_key_id_len = ca_key_id.size();
  int rc = 0;
  if ((rc = gnutls_x509_crt_set_basic_constraints(c, 0, -1)) < 0 ||
      (rc = gnutls_x509_crt_set_key_usage(c, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
      (options.role != LeafRole::kClient &&
       (rc = gnutls_x509_crt_set_key_purpose_oid(c, GNUTLS_KP_TLS_WWW_SERVER, 1)) < 0) ||
      (options.role != LeafRole::kServer &&
       (rc = gnutls_x509_crt_set_key_purpose_oid(c, GNUTLS_KP_TLS_WWW_CLIENT, 1)) < 0)) {
    return tls_error("building leaf certificate", rc);
  }
  // Authority key id helps chain building; a foreign CA without a subject key id gets none.
  if (gnutls_x509_crt_get_subject_key_id(
          issuer->crt.get(), ca_key_id.data(), &ca_key_id_len, nullptr) >= 0) {
    if ((rc = gnutls_x509_crt_set_authority_key_id(c, ca_key_id.data(), ca_key_id_len)) < 0) {
      return tls_error("setting authority key id", rc);
    }
  }
  CONNSWAP_TRY(add_sans(c, options));
  return sign_and_export(c, issuer->crt.get(), issuer->key.get(), key->get());
}

}  // namespace connswap::pki
