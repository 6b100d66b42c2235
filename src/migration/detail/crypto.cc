#include "migration/detail/crypto.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "base/check.h"

namespace connswap::migration::detail {
namespace {

gnutls_datum_t datum(ByteSpan b) {
  // GnuTLS takes non-const pointers in datums it only reads.
  return {const_cast<unsigned char*>(b.data()), static_cast<unsigned int>(b.size())};
}

// A zero-length input may have a null data(); GnuTLS wants a real pointer.
const std::uint8_t* nonnull(ByteSpan b) {
  static constexpr std::uint8_t kEmpty = 0;
  return b.empty() ? &kEmpty : b.data();
}

struct AeadHandle {
  gnutls_aead_cipher_hd_t h = nullptr;
  AeadHandle() = default;
  AeadHandle(const AeadHandle&) = delete;
  AeadHandle& operator=(const AeadHandle&) = delete;
  ~AeadHandle() {
    if (h != nullptr) {
      gnutls_aead_cipher_deinit(h);
    }
  }
};

MResult<void> init_aead(AeadHandle& handle, ByteSpan key) {
  if (key.size() != 32) {
    return make_migration_error(MigrationErrc::kCrypto, "AES-256-GCM key must be 32 bytes");
  }
  gnutls_datum_t k = datum(key);
  if (int rv = gnutls_aead_cipher_init(&handle.h, GNUTLS_CIPHER_AES_256_GCM, &k); rv < 0) {
    handle.h = nullptr;
    return make_migration_error(MigrationErrc::kCrypto,
                                std::string("aead init: ") + gnutls_strerror(rv));
  }
  return {};
}

}  // namespace

Sha256 sha256(ByteSpan data) {
  Sha256 out{};
  int rv = gnutls_hash_fast(GNUTLS_DIG_SHA256, nonnull(data), data.size(), out.data());
  CONNSWAP_CHECK(rv == 0, "gnutls_hash_fast(SHA256) failed");
  return out;
}

Sha256 hmac_sha256(ByteSpan key, ByteSpan data) {
  Sha256 out{};
  int rv = gnutls_hmac_fast(
      GNUTLS_MAC_SHA256, nonnull(key), key.size(), nonnull(data), data.size(), out.data());
  CONNSWAP_CHECK(rv == 0, "gnutls_hmac_fast(SHA256) failed");
  return out;
}

void hkdf_sha256(ByteSpan ikm, std::string_view salt, std::string_view info, MutableByteSpan out) {
  Sha256 prk{};
  gnutls_datum_t key = datum(ikm);
  gnutls_datum_t salt_d = datum(as_bytes(salt));
  int rv = gnutls_hkdf_extract(GNUTLS_MAC_SHA256, &key, &salt_d, prk.data());
  CONNSWAP_CHECK(rv == 0, "gnutls_hkdf_extract failed");
  gnutls_datum_t prk_d = datum(prk);
  gnutls_datum_t info_d = datum(as_bytes(info));
  rv = gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &prk_d, &info_d, out.data(), out.size());
  wipe(prk);
  CONNSWAP_CHECK(rv == 0, "gnutls_hkdf_expand failed");
}

bool equal_constant_time(ByteSpan a, ByteSpan b) {
  if (a.size() != b.size()) {
    return false;  // sizes are public (fixed by the format)
  }
  return a.empty() || gnutls_memcmp(a.data(), b.data(), a.size()) == 0;
}

void wipe(MutableByteSpan secret) {
  if (!secret.empty()) {
    gnutls_memset(secret.data(), 0, secret.size());
  }
}

MResult<Bytes> aes256gcm_seal(ByteSpan key, ByteSpan nonce, ByteSpan aad, ByteSpan plaintext) {
  AeadHandle handle;
  if (auto r = init_aead(handle, key); !r) {
    return Unexpected(std::move(r).error());
  }
  Bytes out(plaintext.size() + kGcmTagSize);
  std::size_t out_len = out.size();
  int rv = gnutls_aead_cipher_encrypt(handle.h,
                                      nonce.data(),
                                      nonce.size(),
                                      nonnull(aad),
                                      aad.size(),
                                      kGcmTagSize,
                                      nonnull(plaintext),
                                      plaintext.size(),
                                      out.data(),
                                      &out_len);
  if (rv < 0) {
    return make_migration_error(MigrationErrc::kCrypto,
                                std::string("aead encrypt: ") + gnutls_strerror(rv));
  }
  out.resize(out_len);
  return out;
}

MResult<Bytes> aes256gcm_open(ByteSpan key, ByteSpan nonce, ByteSpan aad, ByteSpan sealed) {
  if (sealed.size() < kGcmTagSize || nonce.size() != kGcmNonceSize) {
    return make_migration_error(MigrationErrc::kMalformed, "sealed data shorter than its tag");
  }
  AeadHandle handle;
  if (auto r = init_aead(handle, key); !r) {
    return Unexpected(std::move(r).error());
  }
  // One spare byte so the output pointer is valid even for an empty plaintext.
  Bytes out(sealed.size() - kGcmTagSize + 1);
  std::size_t out_len = out.size();
  int rv = gnutls_aead_cipher_decrypt(handle.h,
                                      nonce.data(),
                                      nonce.size(),
                                      nonnull(aad),
                                      aad.size(),
                                      kGcmTagSize,
                                      sealed.data(),
                                      sealed.size(),
                                      out.data(),
                                      &out_len);
  if (rv < 0) {
    wipe(out);
    if (rv == GNUTLS_E_DECRYPTION_FAILED) {
      return make_migration_error(MigrationErrc::kDecryptFailed,
                                  "authentication tag does not verify (tampered data, wrong key "
                                  "or wrong connection id)");
    }
    return make_migration_error(MigrationErrc::kCrypto,
                                std::string("aead decrypt: ") + gnutls_strerror(rv));
  }
  out.resize(out_len);
  return out;
}

}  // namespace connswap::migration::detail
