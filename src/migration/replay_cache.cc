#include "migration/replay_cache.h"

namespace connswap::migration {

bool ReplayCache::contains(ByteSpan nonce) const {
  return nonces_.count(std::string(as_string(nonce))) != 0;
}

MResult<void> ReplayCache::insert(ByteSpan nonce, UnixSeconds forget_at, UnixSeconds now) {
  expire(now);
  std::string key(as_string(nonce));
  if (nonces_.count(key) != 0) {
    return make_migration_error(MigrationErrc::kReplayed,
                                "token already redeemed (nonce " + to_hex(nonce) + ")");
  }
  if (nonces_.size() >= capacity_) {
    return make_migration_error(MigrationErrc::kReplayCacheFull,
                                "replay cache holds " + std::to_string(capacity_) +
                                    " live tokens; refusing more until some expire");
  }
  nonces_.insert(key);
  by_expiry_.emplace(forget_at, std::move(key));
  return {};
}

void ReplayCache::expire(UnixSeconds now) {
  while (!by_expiry_.empty() && by_expiry_.top().first <= now) {
    nonces_.erase(by_expiry_.top().second);
    by_expiry_.pop();
  }
}

}  // namespace connswap::migration
