#include "migration/token.h"

#include <algorithm>
#include <limits>

#include "migration/detail/codec.h"
#include "migration/detail/crypto.h"

namespace connswap::migration {
namespace {

// "CT" + version 1 (PROTOCOL.md §8.2).
constexpr std::uint8_t kMagic0 = 'C';
constexpr std::uint8_t kMagic1 = 'T';
constexpr std::uint8_t kVersion = 2;
constexpr std::size_t kMacSize = detail::kSha256Size;

struct Parsed {
  TokenClaims claims;
  ByteSpan signed_part;  // every byte before the MAC
  ByteSpan mac;
};

Unexpected<MigrationError> malformed(std::string what) {
  return make_migration_error(MigrationErrc::kMalformed, std::move(what));
}

MResult<Parsed> parse(ByteSpan token) {
  if (token.size() > kMaxTokenSize) {
    return malformed("token is " + std::to_string(token.size()) + " bytes, more than " +
                     std::to_string(kMaxTokenSize));
  }
  detail::Reader r(token);
  std::uint8_t m0 = 0;
  std::uint8_t m1 = 0;
  std::uint8_t version = 0;
  if (!r.u8(m0) || !r.u8(m1) || m0 != kMagic0 || m1 != kMagic1) {
    return malformed("not a connswap resume token (bad magic)");
  }
  if (!r.u8(version)) {
    return malformed("token truncated before its version");
  }
  if (version != kVersion) {
    return make_migration_error(
        MigrationErrc::kUnsupportedVersion,
        "resume token version " + std::to_string(version) + " (this build reads version 2)");
  }
  Parsed p;
  TokenClaims& c = p.claims;
  ByteSpan digest;
  ByteSpan snap_digest;
  ByteSpan nonce;
  if (!r.str8(c.key_id, 1, kMaxKeyIdSize) || !valid_key_id(c.key_id)) {
    return malformed("token key id is missing or invalid");
  }
  if (!r.str8(c.connection_id, 1, kMaxConnectionIdSize)) {
    return malformed("token connection id is missing or truncated");
  }
  if (!r.u64(c.stream_id) || !r.take(c.request_digest.size(), digest) ||
      !r.take(c.snapshot_digest.size(), snap_digest) || !r.u64(c.issued_at) ||
      !r.u64(c.expires_at) || !r.take(kTokenNonceSize, nonce)) {
    return malformed("token truncated");
  }
  std::copy(digest.begin(), digest.end(), c.request_digest.begin());
  std::copy(snap_digest.begin(), snap_digest.end(), c.snapshot_digest.begin());
  std::copy(nonce.begin(), nonce.end(), c.nonce.begin());
  p.signed_part = token.first(r.pos());
  if (!r.take(kMacSize, p.mac)) {
    return malformed("token truncated in its MAC");
  }
  if (r.remaining() != 0) {
    return malformed("token has " + std::to_string(r.remaining()) + " trailing bytes");
  }
  return p;
}

}  // namespace

Digest snapshot_digest(ByteSpan sealed_snapshot) {
  return detail::sha256(sealed_snapshot);
}

bool valid_connection_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxConnectionIdSize) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

MResult<Bytes> issue_token(const Keyring& keyring,
                           const TokenSubject& subject,
                           UnixSeconds now,
                           std::uint64_t ttl_seconds,
                           const RandomFn& random) {
  if (!valid_connection_id(subject.connection_id)) {
    return make_migration_error(MigrationErrc::kInvalidArgument,
                                "connection id must be 1-255 printable ASCII characters");
  }
  if (ttl_seconds == 0 || ttl_seconds > std::numeric_limits<UnixSeconds>::max() - now) {
    return make_migration_error(MigrationErrc::kInvalidArgument,
                                "token lifetime must be > 0 and not overflow");
  }
  const DerivedKeys& key = keyring.current();
  std::array<std::uint8_t, kTokenNonceSize> nonce{};
  fill_from(random, nonce);
  Bytes out;
  out.reserve(160 + subject.connection_id.size());
  detail::put_u8(out, kMagic0);
  detail::put_u8(out, kMagic1);
  detail::put_u8(out, kVersion);
  detail::put_str8(out, key.id);
  detail::put_str8(out, subject.connection_id);
  detail::put_u64(out, subject.stream_id);
  detail::put_bytes(out, subject.request_digest);
  detail::put_bytes(out, subject.snapshot_digest);
  detail::put_u64(out, now);
  detail::put_u64(out, now + ttl_seconds);
  detail::put_bytes(out, nonce);
  const detail::Sha256 mac = detail::hmac_sha256(key.token_mac.bytes(), out);
  detail::put_bytes(out, mac);
  return out;
}

MResult<TokenClaims> decode_token_unverified(ByteSpan token) {
  auto parsed = parse(token);
  if (!parsed) {
    return Unexpected(std::move(parsed).error());
  }
  return std::move(parsed->claims);
}

TokenVerifier::TokenVerifier(Keyring keyring, TokenPolicy policy)
    : keyring_(std::move(keyring)), policy_(policy), replay_(policy.replay) {}

MResult<TokenClaims> TokenVerifier::verify(ByteSpan token,
                                           std::string_view connection_id,
                                           UnixSeconds now) const {
  auto parsed = parse(token);
  if (!parsed) {
    return Unexpected(std::move(parsed).error());
  }
  TokenClaims& c = parsed->claims;
  const DerivedKeys* key = keyring_.find(c.key_id);
  if (key == nullptr) {
    return make_migration_error(MigrationErrc::kUnknownKey,
                                "token key id '" + c.key_id + "' is not in the keyring");
  }
  // The MAC is checked before any field is believed; the comparison is constant-time so
  // its timing does not reveal how much of a forged MAC was right.
  const detail::Sha256 expected = detail::hmac_sha256(key->token_mac.bytes(), parsed->signed_part);
  if (!detail::equal_constant_time(expected, parsed->mac)) {
    return make_migration_error(MigrationErrc::kBadSignature,
                                "token signature does not verify (forged or altered token)");
  }
  if (c.expires_at <= c.issued_at) {
    return malformed("token expires before it is issued");
  }
  if (c.issued_at > now && c.issued_at - now > policy_.max_clock_skew) {
    return make_migration_error(
        MigrationErrc::kNotYetValid,
        "token issued " + std::to_string(c.issued_at - now) + " s in the future (clock skew?)");
  }
  if (now >= c.expires_at) {
    return make_migration_error(MigrationErrc::kExpired,
                                "token expired " + std::to_string(now - c.expires_at) + " s ago");
  }
  if (c.connection_id != connection_id) {
    return make_migration_error(MigrationErrc::kWrongConnection,
                                "token was issued for another connection id");
  }
  if (replay_.refuses(c.nonce, c.connection_id, c.issued_at)) {
    return make_migration_error(MigrationErrc::kReplayed, "token already redeemed");
  }
  return std::move(c);
}

MResult<TokenClaims> TokenVerifier::redeem(ByteSpan token,
                                           std::string_view connection_id,
                                           UnixSeconds now) {
  auto claims = verify(token, connection_id, now);
  if (!claims) {
    return claims;
  }
  // Kept past expiry by the allowed skew: if the wall clock steps back that far, an expired
  // token must still be known as redeemed.
  const UnixSeconds max = std::numeric_limits<UnixSeconds>::max();
  const UnixSeconds forget_at = claims->expires_at > max - policy_.max_clock_skew
                                    ? max
                                    : claims->expires_at + policy_.max_clock_skew;
  const ReplayEntry entry{
      claims->nonce, claims->connection_id, claims->stream_id, claims->issued_at, forget_at};
  if (auto r = replay_.insert(entry, now); !r) {
    return Unexpected(std::move(r).error());
  }
  return claims;
}

}  // namespace connswap::migration
