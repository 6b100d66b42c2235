#pragma once
// Cluster keys: the shared secret every director of a cluster holds, read from the cluster
// key file (format in docs/PROTOCOL.md §8.1: `<key-id> <64 hex digits>` lines, newest
// first). Each 32-byte cluster key is never used directly: HKDF-SHA256 derives one key for
// resume-token HMACs and one for snapshot AES-256-GCM. The first key signs and seals; every
// key verifies and opens, which is how keys rotate. Parsing and generation only: reading
// and writing the file is the caller's (apps/keys, the director's main).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "migration/error.h"

namespace connswap::migration {

inline constexpr std::size_t kClusterKeySize = 32;
inline constexpr std::size_t kMaxKeyIdSize = 32;
inline constexpr std::size_t kMaxKeys = 64;
inline constexpr std::size_t kMaxKeyFileSize = 1 << 20;

// 32 secret bytes that overwrite themselves when destroyed.
class SecretKey {
 public:
  SecretKey() = default;
  explicit SecretKey(ByteSpan bytes);  // copies min(32, size) bytes
  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;
  ~SecretKey();

  ByteSpan bytes() const { return bytes_; }
  MutableByteSpan mutable_bytes() { return bytes_; }

 private:
  std::array<std::uint8_t, kClusterKeySize> bytes_{};
};

// One line of the key file.
struct ClusterKey {
  std::string id;  // 1..32 characters of [A-Za-z0-9._-]
  SecretKey secret;
};

// The per-purpose keys derived from one cluster key.
struct DerivedKeys {
  std::string id;
  SecretKey token_mac;      // HMAC-SHA256 key for resume tokens
  SecretKey snapshot_aead;  // AES-256-GCM key for state snapshots
};

// The keys a director signs, verifies, seals and opens with. Immutable; reload = replace.
class Keyring {
 public:
  // kBadKeyFile if `keys` is empty, longer than kMaxKeys, or has an invalid or repeated id.
  static MResult<Keyring> create(std::span<const ClusterKey> keys);

  // The newest key: signs new tokens and seals new snapshots.
  const DerivedKeys& current() const { return keys_.front(); }
  // The key named `id`, or nullptr if the keyring does not hold it.
  const DerivedKeys* find(std::string_view id) const;
  std::size_t size() const { return keys_.size(); }
  std::vector<std::string> ids() const;  // newest first

 private:
  explicit Keyring(std::vector<DerivedKeys> keys) : keys_(std::move(keys)) {}
  std::vector<DerivedKeys> keys_;  // never empty
};

bool valid_key_id(std::string_view id);

// Parses a cluster key file. kBadKeyFile names the line and what is wrong, never the key.
MResult<std::vector<ClusterKey>> parse_key_file(std::string_view text);
// What a reader of the key file at `path` should warn about when `mode` (its st_mode)
// grants any access to group or others (mode & 077): the file names the path, the mode in
// octal and the fix. "" when the mode is private. Warned, not refused (docs/RELIABILITY.md):
// secret volumes are often mounted 0644 or 0640 by their orchestrator.
std::string key_file_mode_warning(std::string_view path, std::uint32_t mode);
// parse_key_file + Keyring::create.
MResult<Keyring> load_keyring(std::string_view key_file_text);

// A fresh random key (getrandom). kInvalidArgument if `id` is not a valid key id.
MResult<ClusterKey> generate_cluster_key(std::string id);
// The key file text for `keys` (newest first), with an explanatory comment header.
std::string format_key_file(std::span<const ClusterKey> keys);

}  // namespace connswap::migration
