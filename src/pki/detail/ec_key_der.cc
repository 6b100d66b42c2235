#include "pki/detail/ec_key_der.h"

#include <array>

#include "pki/detail/x509.h"

namespace connswap::pki::detail {
namespace {

constexpr std::size_t kFieldBytes = 32;

// PrivateKeyInfo up to the ECPrivateKey's scalar: SEQUENCE(135) { INTEGER 0,
// SEQUENCE { OID 1.2.840.10045.2.1, OID 1.2.840.10045.3.1.7 }, OCTET STRING(109) {
// SEQUENCE(107) { INTEGER 1, OCTET STRING(32) ...
constexpr std::array<std::uint8_t, 36> kHead = {
    0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86,
    0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
    0x03, 0x01, 0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20};
// ... then [1] { BIT STRING(66) { 0 unused bits, uncompressed point 04 || x || y } }.
constexpr std::array<std::uint8_t, 6> kPublic = {0xa1, 0x44, 0x03, 0x42, 0x00, 0x04};

// Appends `v` as exactly kFieldBytes big-endian bytes (leading zeros stripped or added).
Result<void> append_fixed(std::string& out, std::span<const std::uint8_t> v) {
  while (!v.empty() && v.front() == 0) {
    v = v.subspan(1);
  }
  if (v.size() > kFieldBytes) {
    return make_error(Errc::kInvalidArgument, "P-256 key part longer than 32 bytes");
  }
  out.append(kFieldBytes - v.size(), '\0');
  out.append(reinterpret_cast<const char*>(v.data()), v.size());
  return {};
}

std::span<const std::uint8_t> bytes_of(const gnutls_datum_t& d) {
  return {d.data, d.size};
}

// Owns the three datums gnutls_x509_privkey_export_ecc_raw allocates.
struct EccParts {
  gnutls_datum_t x{};
  gnutls_datum_t y{};
  gnutls_datum_t k{};
  EccParts() = default;
  EccParts(const EccParts&) = delete;
  EccParts& operator=(const EccParts&) = delete;
  ~EccParts() {
    gnutls_free(x.data);
    gnutls_free(y.data);
    gnutls_free(k.data);
  }
};

}  // namespace

Result<std::string> p256_pkcs8_der(std::span<const std::uint8_t> k,
                                   std::span<const std::uint8_t> x,
                                   std::span<const std::uint8_t> y) {
  std::string der(kHead.begin(), kHead.end());
  CONNSWAP_TRY(append_fixed(der, k));
  der.append(kPublic.begin(), kPublic.end());
  CONNSWAP_TRY(append_fixed(der, x));
  CONNSWAP_TRY(append_fixed(der, y));
  return der;
}

Result<std::string> p256_pkcs8_pem(gnutls_x509_privkey_t key) {
  if (gnutls_x509_privkey_get_pk_algorithm(key) != GNUTLS_PK_ECDSA) {
    return make_error(Errc::kInvalidArgument, "not an ECDSA key");
  }
  EccParts parts;
  gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
  if (int rc = gnutls_x509_privkey_export_ecc_raw(key, &curve, &parts.x, &parts.y, &parts.k);
      rc < 0) {
    return tls_error("gnutls_x509_privkey_export_ecc_raw", rc);
  }
  if (curve != GNUTLS_ECC_CURVE_SECP256R1) {
    return make_error(Errc::kInvalidArgument, "not a P-256 key");
  }
  auto der = p256_pkcs8_der(bytes_of(parts.k), bytes_of(parts.x), bytes_of(parts.y));
  if (!der) {
    return der;
  }
  gnutls_datum_t in{reinterpret_cast<unsigned char*>(der->data()),
                    static_cast<unsigned int>(der->size())};
  gnutls_datum_t pem{};
  if (int rc = gnutls_pem_base64_encode2("PRIVATE KEY", &in, &pem); rc < 0) {
    return tls_error("gnutls_pem_base64_encode2", rc);
  }
  std::string out(reinterpret_cast<const char*>(pem.data), pem.size);
  gnutls_free(pem.data);
  return out;
}

}  // namespace connswap::pki::detail
