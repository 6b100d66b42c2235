#pragma once
// Typed errors of the migration module. Tokens, snapshots and key files come from outside
// (clients, other directors, operators), so every way they can be wrong has its own code;
// callers branch on `code`, humans read `detail`. Converts to the project-wide `Error`, so
// `Result<T>` code can propagate it with `return Unexpected(r.error());`.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/expected.h"

namespace connswap::migration {

enum class MigrationErrc : std::uint8_t {
  kIllegalTransition,      // the state machine refused an event in its current state
  kInvalidArgument,        // the caller passed something unusable (empty id, zero lifetime)
  kNotFound,               // unknown session or stream
  kResourceExhausted,      // a configured limit (sessions, streams per session) was reached
  kBadKeyFile,             // the cluster key file does not parse; detail names the line
  kMalformed,              // token or sealed snapshot bytes do not have the documented layout
  kUnsupportedVersion,     // right magic, unknown format version
  kUnknownKey,             // the key id is not in the keyring (retired or never known)
  kBadSignature,           // the token's HMAC does not verify: forged or altered
  kNotYetValid,            // issued in the future beyond the allowed clock skew
  kExpired,                // now >= expires_at
  kWrongConnection,        // the token belongs to another connection id
  kReplayed,               // this token's nonce was already redeemed
  kReplayCacheFull,        // too many live tokens redeemed; refused rather than forgetting one
  kDecryptFailed,          // snapshot authentication failed: tampered, wrong key or wrong AAD
  kMismatch,               // token and snapshot do not describe the same stream and request
  kCrypto,                 // GnuTLS failed on valid input (not caused by the peer)
  kReplayConnectionLimit,  // this connection id holds its bound of live redeemed tokens
  kReplayStreamLimit,      // this stream was resumed its bound of times within a lifetime
};

std::string_view to_string(MigrationErrc code);

struct MigrationError {
  MigrationErrc code = MigrationErrc::kMalformed;
  std::string detail;

  std::string message() const;  // "<code>: <detail>"
  // The project-wide error: kIllegalTransition/kCrypto -> kInternal, kNotFound -> kNotFound,
  // kResourceExhausted and the replay limits -> kResourceExhausted, the rest -> kInvalidArgument
  // (the input was refused). The detail keeps the migration code name.
  operator Error() const;  // NOLINT(google-explicit-constructor): lets Result<T> propagate
};

template <class T>
using MResult = Expected<T, MigrationError>;

inline Unexpected<MigrationError> make_migration_error(MigrationErrc code, std::string detail) {
  return Unexpected<MigrationError>(MigrationError{code, std::move(detail)});
}

}  // namespace connswap::migration
