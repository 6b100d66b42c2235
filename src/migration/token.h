#pragma once
// Resume tokens: a compact binary record signed with HMAC-SHA256 under the keyring's
// current token key (layout in docs/PROTOCOL.md §8.2). A token names the connection id,
// stream id, request digest and sealed-snapshot digest it was issued for, its issue and
// expiry times (Unix seconds, wall clock) and a random nonce; a director redeems it at most
// once (ReplayCache). Version 2: the snapshot digest binds the token to its own snapshot.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "migration/error.h"
#include "migration/keys.h"
#include "migration/replay_cache.h"
#include "migration/types.h"

namespace connswap::migration {

inline constexpr std::size_t kTokenNonceSize = 16;
inline constexpr std::size_t kMaxConnectionIdSize = 255;
inline constexpr std::size_t kMaxTokenSize = 512;  // larger input is refused unread

// 1..255 characters of printable ASCII without spaces (0x21-0x7e), e.g. "conn-1234": the
// ids tokens and snapshots are bound to.
bool valid_connection_id(std::string_view id);

// The signed fields of a token.
struct TokenClaims {
  std::string key_id;
  std::string connection_id;
  std::uint64_t stream_id = 0;
  Digest request_digest{};
  Digest snapshot_digest{};  // SHA-256 of the sealed snapshot issued with the token
  UnixSeconds issued_at = 0;
  UnixSeconds expires_at = 0;
  std::array<std::uint8_t, kTokenNonceSize> nonce{};
};

// What a token is issued for.
struct TokenSubject {
  std::string connection_id;  // valid_connection_id()
  std::uint64_t stream_id = 0;
  Digest request_digest{};   // request_digest() of the stream's request
  Digest snapshot_digest{};  // snapshot_digest() of the sealed snapshot issued with it
};

// SHA-256 of a sealed snapshot's bytes: what a token binds (a token opens only with the
// snapshot it was issued with, never an older one of the same stream).
Digest snapshot_digest(ByteSpan sealed_snapshot);

// A token for `subject`, valid from `now` for `ttl_seconds` (> 0), signed with
// keyring.current(). kInvalidArgument for an invalid connection id or ttl 0.
MResult<Bytes> issue_token(const Keyring& keyring,
                           const TokenSubject& subject,
                           UnixSeconds now,
                           std::uint64_t ttl_seconds,
                           const RandomFn& random = {});

// The fields of `token` after checking its layout only (kMalformed, kUnsupportedVersion).
// Nothing in the result is authenticated: for logs and tools, never for decisions.
MResult<TokenClaims> decode_token_unverified(ByteSpan token);

struct TokenPolicy {
  std::uint64_t max_clock_skew = 30;  // seconds a token's issued_at may lie in the future
  ReplayLimits replay;                // live redeemed tokens remembered (see ReplayCache)
};

// Checks tokens in this order, each failure with its own code: layout (kMalformed,
// kUnsupportedVersion), key id (kUnknownKey), HMAC (kBadSignature), time (kNotYetValid,
// kExpired), connection (kWrongConnection), replay (kReplayed).
class TokenVerifier {
 public:
  explicit TokenVerifier(Keyring keyring, TokenPolicy policy = {});

  // Every check, without recording the token: it stays redeemable.
  MResult<TokenClaims> verify(ByteSpan token,
                              std::string_view connection_id,
                              UnixSeconds now) const;
  // verify(), then records the nonce so the token is refused from now on (kReplayCacheFull
  // if the cache is full of live tokens).
  MResult<TokenClaims> redeem(ByteSpan token, std::string_view connection_id, UnixSeconds now);

  // Replaces the keys (key file reloaded after a rotation); redeemed nonces are kept.
  void set_keyring(Keyring keyring) { keyring_ = std::move(keyring); }
  const Keyring& keyring() const { return keyring_; }
  std::size_t replay_entries() const { return replay_.size(); }
  const ReplayStats& replay_stats() const { return replay_.stats(); }

 private:
  Keyring keyring_;
  TokenPolicy policy_;
  ReplayCache replay_;
};

}  // namespace connswap::migration
