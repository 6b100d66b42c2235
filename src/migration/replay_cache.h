#pragma once
// A bounded set of redeemed token nonces, each kept until its token can no longer be
// accepted. Never forgets a live nonce in a way that lets its token replay. Three bounds
// (docs/RELIABILITY.md "Limits (resume)"): live entries per stream and per connection id
// (one abuser is refused, nobody else), and in all. When the whole cache is full, the
// connection id holding the most entries is evicted into one tombstone that refuses every
// token of that connection id issued up to its newest evicted token's issue time: the
// abuser's old tickets die, every other client keeps resuming. Full of single-entry
// connection ids, it refuses (fail closed). Per process: directors share no store, so a
// token can be redeemed at most once per director within its lifetime.

#include <cstddef>
#include <cstdint>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "migration/error.h"
#include "migration/types.h"

namespace connswap::migration {

// The cache's bounds (flags --resume-replay-capacity, --resume-max-per-connection,
// --resume-max-per-stream on the director).
struct ReplayLimits {
  std::size_t capacity = 100'000;      // live entries (nonces + tombstones) in all
  std::size_t per_connection = 1'000;  // live redeemed tokens of one connection id
  std::size_t per_stream = 16;         // live redeemed tokens of one (connection id, stream)
};

// What the cache records of one redeemed token.
struct ReplayEntry {
  ByteSpan nonce;
  std::string_view connection_id;
  std::uint64_t stream_id = 0;
  UnixSeconds issued_at = 0;
  UnixSeconds forget_at = 0;  // when the token can no longer be accepted
};

// Figures for metrics.
struct ReplayStats {
  std::uint64_t refused_full = 0;            // kReplayCacheFull
  std::uint64_t refused_per_connection = 0;  // kReplayConnectionLimit
  std::uint64_t refused_per_stream = 0;      // kReplayStreamLimit
  std::uint64_t evictions = 0;               // connection ids collapsed into a tombstone
};

class ReplayCache {
 public:
  explicit ReplayCache(ReplayLimits limits) : limits_(limits) {}

  // True when a token with this nonce, connection id and issue time must be refused as
  // replayed: its nonce is recorded, or a tombstone of its connection id covers it.
  bool refuses(ByteSpan nonce, std::string_view connection_id, UnixSeconds issued_at) const;
  // Records `entry`. Drops entries due at `now` first. kReplayed if refuses(); then
  // kReplayStreamLimit / kReplayConnectionLimit at those bounds; at capacity, evicts the
  // heaviest connection id (see above) or kReplayCacheFull.
  MResult<void> insert(const ReplayEntry& entry, UnixSeconds now);
  // Drops every entry and tombstone with forget_at <= now.
  void expire(UnixSeconds now);

  std::size_t size() const { return nonces_.size() + tombstones_.size(); }
  std::size_t capacity() const { return limits_.capacity; }
  const ReplayStats& stats() const { return stats_; }

 private:
  struct Live {
    std::string connection_id;
    std::uint64_t stream_id = 0;
    UnixSeconds issued_at = 0;
    UnixSeconds forget_at = 0;
  };
  struct Tombstone {
    UnixSeconds issued_until = 0;  // tokens issued at or before are refused
    UnixSeconds forget_at = 0;
  };
  // (forget_at, is tombstone, nonce or connection id); stale items are skipped.
  struct Due {
    UnixSeconds at = 0;
    bool tombstone = false;
    std::string key;
    bool operator>(const Due& o) const { return at > o.at; }
  };

  static std::string stream_key(std::string_view connection_id, std::uint64_t stream_id);
  bool evict_heaviest();
  void forget(const std::string& nonce);

  ReplayLimits limits_;
  ReplayStats stats_;
  std::unordered_map<std::string, Live> nonces_;
  std::unordered_map<std::string, Tombstone> tombstones_;  // by connection id
  std::unordered_map<std::string, std::size_t> per_connection_;
  std::unordered_map<std::string, std::size_t> per_stream_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> by_expiry_;
};

}  // namespace connswap::migration
