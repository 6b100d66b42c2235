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
  const TokenSubject subject{
      snapshot.connection_id, snapshot.stream_id, request_digest(snapshot.request)};
  auto token = issue_token(keyring, subject, now, ttl_seconds, random);
  if (!token) {
    return Unexpected(std::move(token).error());
  }
  return ResumeTicketBytes{std::move(*token), std::move(*sealed), now + ttl_seconds};
}

MResult<ResumeGrant> redeem_resume(TokenVerifier& verifier,
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
  if (snapshot->stream_id != claims->stream_id) {
    return make_migration_error(MigrationErrc::kMismatch,
                                "token and snapshot name different streams");
  }
  const Digest digest = request_digest(snapshot->request);
  if (!detail::equal_constant_time(digest, claims->request_digest)) {
    return make_migration_error(MigrationErrc::kMismatch,
                                "snapshot request does not match the token's request digest");
  }
  auto redeemed = verifier.redeem(token, connection_id, now);
  if (!redeemed) {
    return Unexpected(std::move(redeemed).error());
  }
  return ResumeGrant{std::move(*redeemed), std::move(*snapshot)};
}

}  // namespace connswap::migration
