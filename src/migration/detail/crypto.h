#pragma once
// Thin wrappers over GnuTLS's crypto API (SHA-256, HMAC-SHA256, HKDF-SHA256, AES-256-GCM,
// constant-time compare). GnuTLS types stay in crypto.cc; only migration's own .cc files
// and the fuzz target include this header.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "migration/error.h"

namespace connswap::migration::detail {

inline constexpr std::size_t kSha256Size = 32;
inline constexpr std::size_t kGcmNonceSize = 12;
inline constexpr std::size_t kGcmTagSize = 16;

using Sha256 = std::array<std::uint8_t, kSha256Size>;

Sha256 sha256(ByteSpan data);
// HMAC-SHA256(key, data). GnuTLS failures here are impossible on valid input (CHECKed).
Sha256 hmac_sha256(ByteSpan key, ByteSpan data);
// HKDF-SHA256 (RFC 5869): extract(salt, ikm) then expand(info) into `out` (<= 255*32 bytes).
void hkdf_sha256(ByteSpan ikm, std::string_view salt, std::string_view info, MutableByteSpan out);
// True when a and b have the same size and bytes; the time does not depend on where they differ.
bool equal_constant_time(ByteSpan a, ByteSpan b);
// Overwrites `secret` in a way the compiler does not remove.
void wipe(MutableByteSpan secret);

// AES-256-GCM with a 16-byte tag: returns ciphertext || tag.
MResult<Bytes> aes256gcm_seal(ByteSpan key, ByteSpan nonce, ByteSpan aad, ByteSpan plaintext);
// Inverse of aes256gcm_seal; kDecryptFailed when the tag does not verify.
MResult<Bytes> aes256gcm_open(ByteSpan key, ByteSpan nonce, ByteSpan aad, ByteSpan sealed);

}  // namespace connswap::migration::detail
