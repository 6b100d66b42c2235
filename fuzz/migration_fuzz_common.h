#pragma once
// Shared by migration_fuzz.cc and make_migration_seeds.cc: the fixed cluster key, the
// connection id and the clock the fuzz target checks inputs against, and its input modes.

#include <cstdint>
#include <string_view>

#include "migration/types.h"

namespace connswap::fuzz {

// Input byte 0 (mod kModeCount) picks what the rest of the input is.
enum Mode : std::uint8_t {
  kToken = 0,          // a resume token, verified and redeemed
  kSealedSnapshot,     // a sealed snapshot, opened
  kKeyFile,            // cluster key file text, parsed (and re-formatted if valid)
  kSignedTokenBody,    // a token without its MAC; the target signs it with the real key
  kSnapshotPlaintext,  // a StreamSnapshot plaintext; the target seals it with the real key
  kStateEvents,        // a sequence of state machine events and clock steps
  kModeCount,
};

inline constexpr std::string_view kClusterKeyFile =
    "fz 1112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30\n"
    "old 5152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f70\n";
inline constexpr std::string_view kConnectionId = "conn-fuzz";
inline constexpr migration::UnixSeconds kNow = 1'700'000'000;

}  // namespace connswap::fuzz
