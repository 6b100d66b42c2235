#pragma once
// Vocabulary shared by tokens and snapshots.

#include <array>
#include <cstdint>
#include <functional>

#include "base/bytes.h"

namespace connswap::migration {

// Wall-clock time in seconds since 1970-01-01 UTC. Tokens and snapshots cross processes
// (and hosts), so they carry wall-clock time; the project's Timestamp is CLOCK_MONOTONIC,
// which means nothing in another process. The caller reads the clock (the module never does).
using UnixSeconds = std::uint64_t;

// SHA-256 of a GenerateRequest in its canonical encoding (snapshot.h request_digest()).
using Digest = std::array<std::uint8_t, 32>;

// Fills its argument with cryptographically secure random bytes. An empty RandomFn means
// base's fill_random (getrandom); tests and fuzzers may pass a deterministic one.
using RandomFn = std::function<void(MutableByteSpan)>;

// Calls `random` or, if empty, fill_random.
void fill_from(const RandomFn& random, MutableByteSpan out);

}  // namespace connswap::migration
