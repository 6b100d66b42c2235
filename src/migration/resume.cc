#include "migration/resume.h"

#include "migration/detail/crypto.h"

namespace connswap::migration {

MResult<ResumeTicketBytes> issue_resume(const Keyring& keyring,
                                        const StreamSnapshot& snapshot,
                                        UnixSeconds now,
                                        std::uint64_t ttl_seconds,
                                        const RandomFn& random) {
  auto sealed = seal_snapshot(keyring, snapshot, random);
  if (!sealed) {
    return Unexpected(std::move(sealed).error());
  }
  const TokenSubject subject{snapshot.connection_id,
                             snapshot.stream_id,
                             request_digest(snapshot.request),
                             snapshot_digest(*sealed)};
  auto token = issue_token(keyring, subject, now, ttl_seconds, random);
  if (!token) {
    return Unexpected(std::move(token).error());
  }
  return ResumeTicketBytes{std::move(*token), std::move(*sealed), now + ttl_seconds};
}

MResult<ResumeGrant> check_resume(const TokenVerifier& verifier,
                                  ByteSpan token,
                                  ByteSpan sealed_snapshot,
                                  std::string_view connection_id,
                                  UnixSeconds now) {
  auto claims = verifier.verify(token, connection_id, now);
  if (!claims) {
    return Unexpected(std::move(claims).error());
  }
  auto snapshot = open_snapshot(verifier.keyring(), sealed_snapshot, connection_id);
  if (!snapshot) {
    return Unexpected(std::move(snapshot).error());
  }
  // The token names its own snapshot: an older (or another) snapshot of the same stream,
  // e.g. one with a smaller migration count or an earlier position, is refused.
  if (!detail::equal_constant_time(snapshot_digest(sealed_snapshot), claims->snapshot_digest)) {
    return make_migration_error(MigrationErrc::kMismatch,
                                "the snapshot is not the one the token was issued with");
  }
  if (snapshot->stream_id != claims->stream_id) {
    return make_migration_error(MigrationErrc::kMismatch,
                                "token and snapshot name different streams");
  }
  const Digest digest = request_digest(snapshot->request);
  if (!detail::equal_constant_time(digest, claims->request_digest)) {
    return make_migration_error(MigrationErrc::kMismatch,
                                "snapshot request does not match the token's request digest");
  }
  return ResumeGrant{std::move(*claims), std::move(*snapshot)};
}

MResult<ResumeGrant> redeem_resume(TokenVerifier& verifier,
                                   ByteSpan token,
                                   ByteSpan sealed_snapshot,
                                   std::string_view connection_id,
                                   UnixSeconds now) {
  auto grant = check_resume(verifier, token, sealed_snapshot, connection_id, now);
  if (!grant) {
    return grant;
  }
  auto redeemed = verifier.redeem(token, connection_id, now);
  if (!redeemed) {
    return Unexpected(std::move(redeemed).error());
  }
  grant->claims = std::move(*redeemed);
  return grant;
}

}  // namespace connswap::migration
