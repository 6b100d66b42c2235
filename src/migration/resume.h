#pragma once
// Resume tickets: a signed token plus the sealed snapshot it belongs to. The director that
// ends a stream early hands one to the client (issue_resume); any director of the cluster
// continues the stream from it (redeem_resume), with no shared store. The token limits who
// (connection id), when (expiry) and how often (once per director); the snapshot carries
// the state. Both must describe the same stream and request.

#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "migration/error.h"
#include "migration/keys.h"
#include "migration/snapshot.h"
#include "migration/token.h"
#include "migration/types.h"

namespace connswap::migration {

struct ResumeTicketBytes {
  Bytes token;                 // issue_token() for the snapshot's stream and request
  Bytes snapshot;              // seal_snapshot()
  UnixSeconds expires_at = 0;  // the token's expiry
};

// Seals `snapshot` and issues the token bound to it, valid `ttl_seconds` from `now`.
MResult<ResumeTicketBytes> issue_resume(const Keyring& keyring,
                                        const StreamSnapshot& snapshot,
                                        UnixSeconds now,
                                        std::uint64_t ttl_seconds,
                                        const RandomFn& random = {});

struct ResumeGrant {
  TokenClaims claims;
  StreamSnapshot snapshot;  // continue from snapshot.next_seq with snapshot.window as prefix
};

// Checks a ticket presented on `connection_id` without redeeming it: the token (every
// TokenVerifier check), the snapshot (opened with the verifier's keyring), and that the
// token was issued with exactly this snapshot and that both name the same stream and
// request (kMismatch). The caller checks what else it needs, then redeems the token
// (TokenVerifier::redeem), so a refusal on its own checks leaves the ticket unused.
MResult<ResumeGrant> check_resume(const TokenVerifier& verifier,
                                  ByteSpan token,
                                  ByteSpan sealed_snapshot,
                                  std::string_view connection_id,
                                  UnixSeconds now);

// check_resume(), then redeems the token; any failure leaves it unused.
MResult<ResumeGrant> redeem_resume(TokenVerifier& verifier,
                                   ByteSpan token,
                                   ByteSpan sealed_snapshot,
                                   std::string_view connection_id,
                                   UnixSeconds now);

}  // namespace connswap::migration
