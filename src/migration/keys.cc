#include "migration/keys.h"

#include <algorithm>
#include <cstdio>

#include "base/random.h"
#include "migration/detail/crypto.h"

namespace connswap::migration {
namespace {

// Domain separation for HKDF (RFC 5869 §3.1-3.2): a fixed salt, one `info` per purpose, so
// no key is ever used by two algorithms.
constexpr std::string_view kHkdfSalt = "connswap/v1 cluster key";
constexpr std::string_view kTokenInfo = "connswap/v1 resume-token hmac-sha256";
constexpr std::string_view kSnapshotInfo = "connswap/v1 snapshot aes-256-gcm";

Unexpected<MigrationError> bad(std::size_t line, std::string what) {
  std::string detail = line == 0 ? std::move(what) : "line " + std::to_string(line) + ": " + what;
  return make_migration_error(MigrationErrc::kBadKeyFile, std::move(detail));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_space(s.front()) || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (is_space(s.back()) || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits "a b" (any run of spaces/tabs) into its whitespace-separated fields.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) {
      ++i;
    }
    std::size_t start = i;
    while (i < line.size() && !is_space(line[i])) {
      ++i;
    }
    if (i > start) {
      out.push_back(line.substr(start, i - start));
    }
  }
  return out;
}

// Parses one non-comment line; `line_no` for messages.
MResult<ClusterKey> parse_line(std::string_view line, std::size_t line_no) {
  auto f = fields(line);
  if (f.size() != 2) {
    return bad(line_no, "expected '<key-id> <64 hex digits>'");
  }
  if (!valid_key_id(f[0])) {
    return bad(line_no, "invalid key id (1-32 characters of A-Z a-z 0-9 . _ -)");
  }
  if (f[1].size() != 2 * kClusterKeySize) {
    return bad(
        line_no,
        "key must be 64 hex digits (32 bytes), got " + std::to_string(f[1].size()) + " characters");
  }
  ClusterKey key{std::string(f[0]), {}};
  MutableByteSpan out = key.secret.mutable_bytes();
  bool nonzero = false;
  for (std::size_t i = 0; i < kClusterKeySize; ++i) {
    int hi = hex_value(f[1][2 * i]);
    int lo = hex_value(f[1][2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return bad(line_no, "key has a character that is not a hex digit");
    }
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    nonzero = nonzero || out[i] != 0;
  }
  if (!nonzero) {
    return bad(line_no, "key is all zeros (generate one with connswap-keys)");
  }
  return key;
}

}  // namespace

SecretKey::SecretKey(ByteSpan bytes) {
  std::copy_n(bytes.begin(), std::min(bytes.size(), bytes_.size()), bytes_.begin());
}

SecretKey::~SecretKey() {
  detail::wipe(bytes_);
}

bool valid_key_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxKeyIdSize) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

MResult<Keyring> Keyring::create(std::span<const ClusterKey> keys) {
  if (keys.empty()) {
    return make_migration_error(MigrationErrc::kBadKeyFile, "no keys");
  }
  if (keys.size() > kMaxKeys) {
    return make_migration_error(MigrationErrc::kBadKeyFile,
                                "more than " + std::to_string(kMaxKeys) + " keys");
  }
  std::vector<DerivedKeys> derived;
  derived.reserve(keys.size());
  for (const ClusterKey& key : keys) {
    if (!valid_key_id(key.id)) {
      return make_migration_error(MigrationErrc::kBadKeyFile, "invalid key id");
    }
    for (const DerivedKeys& d : derived) {
      if (d.id == key.id) {
        return make_migration_error(MigrationErrc::kBadKeyFile,
                                    "duplicate key id '" + key.id + "'");
      }
    }
    DerivedKeys d{key.id, {}, {}};
    detail::hkdf_sha256(key.secret.bytes(), kHkdfSalt, kTokenInfo, d.token_mac.mutable_bytes());
    detail::hkdf_sha256(
        key.secret.bytes(), kHkdfSalt, kSnapshotInfo, d.snapshot_aead.mutable_bytes());
    derived.push_back(std::move(d));
  }
  return Keyring(std::move(derived));
}

const DerivedKeys* Keyring::find(std::string_view id) const {
  for (const DerivedKeys& d : keys_) {
    if (d.id == id) {
      return &d;
    }
  }
  return nullptr;
}

std::vector<std::string> Keyring::ids() const {
  std::vector<std::string> out;
  for (const DerivedKeys& d : keys_) {
    out.push_back(d.id);
  }
  return out;
}

MResult<std::vector<ClusterKey>> parse_key_file(std::string_view text) {
  if (text.size() > kMaxKeyFileSize) {
    return bad(0, "key file larger than 1 MiB");
  }
  std::vector<ClusterKey> keys;
  std::vector<std::size_t> lines;  // where each key was, for duplicate messages
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    auto key = parse_line(line, line_no);
    if (!key) {
      return Unexpected(std::move(key).error());
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i].id == key->id) {
        return bad(
            line_no,
            "duplicate key id '" + key->id + "' (first on line " + std::to_string(lines[i]) + ")");
      }
    }
    if (keys.size() == kMaxKeys) {
      return bad(line_no, "more than " + std::to_string(kMaxKeys) + " keys");
    }
    keys.push_back(std::move(*key));
    lines.push_back(line_no);
  }
  if (keys.empty()) {
    return bad(0, "no keys (expected lines '<key-id> <64 hex digits>')");
  }
  return keys;
}

MResult<Keyring> load_keyring(std::string_view key_file_text) {
  auto keys = parse_key_file(key_file_text);
  if (!keys) {
    return Unexpected(std::move(keys).error());
  }
  return Keyring::create(*keys);
}

MResult<ClusterKey> generate_cluster_key(std::string id) {
  if (!valid_key_id(id)) {
    return make_migration_error(MigrationErrc::kInvalidArgument,
                                "invalid key id (1-32 characters of A-Z a-z 0-9 . _ -)");
  }
  ClusterKey key{std::move(id), {}};
  fill_random(key.secret.mutable_bytes());
  return key;
}

std::string format_key_file(std::span<const ClusterKey> keys) {
  std::string out =
      "# connswap cluster key file: keep it secret (mode 0600), the same on every director.\n"
      "# One key per line, '<key-id> <64 hex digits>'. The first key signs resume tokens\n"
      "# and seals snapshots; the others are still accepted (rotation). See PROTOCOL.md.\n";
  for (const ClusterKey& key : keys) {
    out += key.id;
    out += ' ';
    out += to_hex(key.secret.bytes());
    out += '\n';
  }
  return out;
}

std::string key_file_mode_warning(std::string_view path, std::uint32_t mode) {
  const std::uint32_t open_bits = mode & 077U;
  if (open_bits == 0) {
    return {};
  }
  char octal[8];
  std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode & 07777U));
  return std::string(path) + " is accessible by group or others (mode " + octal +
         "): whoever reads it can forge resume tokens and open snapshots; chmod 600 " +
         std::string(path);
}

}  // namespace connswap::migration
