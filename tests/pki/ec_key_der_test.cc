#include "pki/detail/ec_key_der.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gnutls/gnutls.h>
#include <gtest/gtest.h>

#include "pki/cert.h"
#include "pki/detail/x509.h"

namespace connswap::pki::detail {
namespace {

// The DER inside a "PRIVATE KEY" PEM block ("" if it does not decode).
std::string der_of(const std::string& pem) {
  gnutls_datum_t in{reinterpret_cast<unsigned char*>(const_cast<char*>(pem.data())),
                    static_cast<unsigned int>(pem.size())};
  gnutls_datum_t out{};
  if (gnutls_pem_base64_decode2("PRIVATE KEY", &in, &out) < 0) {
    return "";
  }
  std::string der(reinterpret_cast<const char*>(out.data), out.size);
  gnutls_free(out.data);
  return der;
}

std::vector<std::uint8_t> filled(std::size_t n, std::uint8_t first, std::uint8_t rest) {
  std::vector<std::uint8_t> v(n, rest);
  if (n > 0) {
    v[0] = first;
  }
  return v;
}

// Offsets of k, x and y in the 138-byte layout.
constexpr std::size_t kScalarAt = 36;
constexpr std::size_t kXAt = 74;
constexpr std::size_t kYAt = 106;

TEST(EcKeyDer, ScalarIsAlwaysExactly32Bytes) {
  const auto x = filled(32, 0x11, 0x11);
  const auto y = filled(32, 0x22, 0x22);
  // GnuTLS's signed form (leading 0x00, top bit set), a short scalar, and a plain one.
  for (const auto& k : {filled(33, 0x00, 0xff), filled(31, 0x01, 0x01), filled(32, 0x7f, 0x7f)}) {
    auto der = p256_pkcs8_der(k, x, y);
    ASSERT_TRUE(der);
    ASSERT_EQ(der->size(), 138u);
    EXPECT_EQ(static_cast<std::uint8_t>((*der)[kScalarAt - 1]), 0x20u);  // OCTET STRING(32)
    const std::string scalar = der->substr(kScalarAt, 32);
    const std::size_t pad = k.size() < 32 ? 32 - k.size() : 0;
    for (std::size_t i = 0; i < pad; ++i) {
      EXPECT_EQ(scalar[i], '\0') << i;
    }
    EXPECT_EQ(static_cast<std::uint8_t>(scalar[31]), k.back());
    EXPECT_EQ(static_cast<std::uint8_t>((*der)[kXAt]), 0x11u);
    EXPECT_EQ(static_cast<std::uint8_t>((*der)[kYAt]), 0x22u);
  }
  EXPECT_FALSE(p256_pkcs8_der(filled(33, 0x01, 0x01), x, y));
}

// 64 fresh keys: with the old export about half had a 33-byte scalar (a chance of 2^-64 that
// none would). Each is the fixed layout and GnuTLS reads it back as the same key.
TEST(EcKeyDer, GeneratedKeysUseTheFixedLayoutAndRoundTrip) {
  const std::string head = "\x30\x81\x87\x02\x01\x00";
  for (int i = 0; i < 64; ++i) {
    auto ca = make_ca({});
    ASSERT_TRUE(ca) << ca.error().detail;
    const std::string der = der_of(ca->key_pem);
    ASSERT_EQ(der.size(), 138u) << ca->key_pem;
    EXPECT_EQ(der.substr(0, head.size()), head);
    auto key = import_privkey(ca->key_pem);
    ASSERT_TRUE(key);
    auto crt = import_crt(ca->cert_pem);
    ASSERT_TRUE(crt);
    EXPECT_TRUE(check_key_matches(crt->get(), key->get()));
    auto again = export_privkey(key->get());
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, ca->key_pem);
  }
}

}  // namespace
}  // namespace connswap::pki::detail
