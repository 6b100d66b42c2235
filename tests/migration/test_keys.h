#pragma once
// Fixed keys and seeded randomness for the migration tests (no getrandom in assertions).

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "migration/keys.h"
#include "migration/types.h"

namespace connswap::migration::testing {

// A key whose 32 bytes are fill, fill+1, ... (never all zero).
inline ClusterKey fixed_key(std::string id, std::uint8_t fill) {
  std::array<std::uint8_t, kClusterKeySize> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::uint8_t>(fill + i);
  }
  return ClusterKey{std::move(id), SecretKey(bytes)};
}

inline Keyring keyring_of(std::vector<ClusterKey> keys) {
  auto ring = Keyring::create(keys);
  if (!ring) {
    std::abort();
  }
  return std::move(*ring);
}

// Deterministic "random" bytes from a seeded engine, for reproducible nonces.
inline RandomFn seeded_random(std::uint64_t seed) {
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine](MutableByteSpan out) {
    for (auto& b : out) {
      b = static_cast<std::uint8_t>((*engine)());
    }
  };
}

}  // namespace connswap::migration::testing
