#pragma once
// Sealed state snapshots: what a director needs to continue a stream it has never seen
// (request, next sequence number, delivered-token window), as a connswap.v1.StreamSnapshot
// protobuf sealed with AES-256-GCM under a subkey of the keyring's current snapshot key:
// HKDF of it with a random 16-byte salt of each seal, carried in the header, so no key ever
// seals twice and any director of the cluster opens it. The connection id is associated
// data: a snapshot opens only for the connection it was sealed for. Layout in
// docs/PROTOCOL.md §8.3.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/generate.h"
#include "migration/error.h"
#include "migration/keys.h"
#include "migration/types.h"

namespace connswap::migration {

inline constexpr std::size_t kMaxSealedSnapshotSize = 8 << 20;  // larger input is refused
inline constexpr std::size_t kMaxSnapshotWindow = 65'536;       // tokens in `window`
inline constexpr std::size_t kSnapshotSaltSize = 16;  // per-seal subkey salt in the header

struct StreamSnapshot {
  std::string connection_id;  // 1..255 bytes
  std::uint64_t stream_id = 0;
  GenerateRequest request;             // the original request
  std::uint64_t next_seq = kFirstSeq;  // first seq not yet delivered to the client
  std::vector<std::string> window;     // delivered tokens before next_seq, oldest first
  std::uint32_t migrations = 0;
  UnixSeconds created_at = 0;
  std::uint32_t failovers = 0;  // counted against the migration limit, kept across resumes
};

// SHA-256 of `request` as a connswap.v1.GenerateRequest in protobuf's deterministic
// encoding (fields in number order, map entries sorted by key); start_seq 0 counts as 1.
// The token binds this digest; a resumed snapshot must reproduce it.
Digest request_digest(const GenerateRequest& request);

// Seals `snapshot` with a fresh subkey of keyring.current() (random 16-byte salt) and a
// random 12-byte nonce.
// kInvalidArgument for an empty/oversized connection id, next_seq 0 or a window above
// kMaxSnapshotWindow; kCrypto if GnuTLS fails.
MResult<Bytes> seal_snapshot(const Keyring& keyring,
                             const StreamSnapshot& snapshot,
                             const RandomFn& random = {});

// Opens a sealed snapshot for `connection_id`. kMalformed (layout, or a plaintext that is not
// a valid StreamSnapshot), kUnsupportedVersion, kUnknownKey, kDecryptFailed (tampered
// bytes, another key under the same id, or another connection id).
MResult<StreamSnapshot> open_snapshot(const Keyring& keyring,
                                      ByteSpan sealed,
                                      std::string_view connection_id);

}  // namespace connswap::migration
