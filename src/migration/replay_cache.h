#pragma once
// A bounded set of redeemed token nonces, each kept until its token can no longer be
// accepted. Full means refuse (fail closed): forgetting a live nonce would let its token be
// replayed. Per process: directors share no store, so a token can be redeemed at most once
// per director within its lifetime (keep lifetimes short).

#include <cstddef>
#include <queue>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "migration/error.h"
#include "migration/types.h"

namespace connswap::migration {

class ReplayCache {
 public:
  explicit ReplayCache(std::size_t capacity) : capacity_(capacity) {}

  bool contains(ByteSpan nonce) const;
  // Records `nonce` until `forget_at` (Unix seconds). Drops entries due at `now` first.
  // kReplayed if the nonce is already recorded; kReplayCacheFull if `capacity` live
  // entries remain.
  MResult<void> insert(ByteSpan nonce, UnixSeconds forget_at, UnixSeconds now);
  // Drops every entry with forget_at <= now.
  void expire(UnixSeconds now);

  std::size_t size() const { return nonces_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  using Entry = std::pair<UnixSeconds, std::string>;  // (forget_at, nonce)

  std::size_t capacity_;
  std::unordered_set<std::string> nonces_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> by_expiry_;
};

}  // namespace connswap::migration
