#pragma once
// Private to pki/: the one private key layout connswap writes. GnuTLS 3.7 exports an ECDSA
// key's scalar as a signed integer (33 bytes with a leading 0x00 when its top bit is set,
// about half of all keys); RFC 5915 wants an octet string of exactly the curve's size, and
// Python's cryptography (hence aioquic) rejects anything else. So P-256 keys are encoded
// here, byte for byte, as PKCS#8 (RFC 5208) holding an RFC 5915 ECPrivateKey.

#include <cstdint>
#include <span>
#include <string>

#include <gnutls/x509.h>

#include "base/error.h"

namespace connswap::pki::detail {

// DER of PKCS#8 PrivateKeyInfo{ecPublicKey, prime256v1, ECPrivateKey{1, k, [1] 04||x||y}}
// with k, x and y each exactly 32 bytes (138 bytes in all). kInvalidArgument if any of the
// three, leading zeros stripped, is longer than 32 bytes.
[[nodiscard]] Result<std::string> p256_pkcs8_der(std::span<const std::uint8_t> k,
                                                 std::span<const std::uint8_t> x,
                                                 std::span<const std::uint8_t> y);

// PEM ("PRIVATE KEY") of `key` in that layout. kInvalidArgument unless `key` is ECDSA on
// P-256; kTls if GnuTLS cannot export its parts.
[[nodiscard]] Result<std::string> p256_pkcs8_pem(gnutls_x509_privkey_t key);

}  // namespace connswap::pki::detail
