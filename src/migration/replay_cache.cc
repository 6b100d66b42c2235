#include "migration/replay_cache.h"

#include <algorithm>

namespace connswap::migration {
namespace {

void decrement(std::unordered_map<std::string, std::size_t>& counts, const std::string& key) {
  auto it = counts.find(key);
  if (it != counts.end() && --it->second == 0) {
    counts.erase(it);
  }
}

std::size_t count_of(const std::unordered_map<std::string, std::size_t>& counts,
                     const std::string& key) {
  auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

}  // namespace

std::string ReplayCache::stream_key(std::string_view connection_id, std::uint64_t stream_id) {
  // Connection ids are printable ASCII: a space cannot occur in one.
  std::string key(connection_id);
  key += ' ';
  key += std::to_string(stream_id);
  return key;
}

bool ReplayCache::refuses(ByteSpan nonce,
                          std::string_view connection_id,
                          UnixSeconds issued_at) const {
  if (nonces_.count(std::string(as_string(nonce))) != 0) {
    return true;
  }
  auto tomb = tombstones_.find(std::string(connection_id));
  return tomb != tombstones_.end() && issued_at <= tomb->second.issued_until;
}

MResult<void> ReplayCache::insert(const ReplayEntry& entry, UnixSeconds now) {
  expire(now);
  if (refuses(entry.nonce, entry.connection_id, entry.issued_at)) {
    return make_migration_error(MigrationErrc::kReplayed,
                                "token already redeemed (nonce " + to_hex(entry.nonce) + ")");
  }
  const std::string connection(entry.connection_id);
  const std::string stream = stream_key(entry.connection_id, entry.stream_id);
  if (count_of(per_stream_, stream) >= limits_.per_stream) {
    ++stats_.refused_per_stream;
    return make_migration_error(MigrationErrc::kReplayStreamLimit,
                                "stream " + std::to_string(entry.stream_id) + " was resumed " +
                                    std::to_string(limits_.per_stream) +
                                    " times within its tokens' lifetime");
  }
  if (count_of(per_connection_, connection) >= limits_.per_connection) {
    ++stats_.refused_per_connection;
    return make_migration_error(MigrationErrc::kReplayConnectionLimit,
                                "connection id holds " + std::to_string(limits_.per_connection) +
                                    " live redeemed tokens; refusing more until some expire");
  }
  if (size() >= limits_.capacity) {
    if (!evict_heaviest()) {
      ++stats_.refused_full;
      return make_migration_error(MigrationErrc::kReplayCacheFull,
                                  "replay cache holds " + std::to_string(limits_.capacity) +
                                      " live tokens; refusing more until some expire");
    }
    if (refuses(entry.nonce, entry.connection_id, entry.issued_at)) {
      return {};  // the evicted connection's tombstone now covers this token too
    }
  }
  std::string nonce(as_string(entry.nonce));
  nonces_.emplace(nonce, Live{connection, entry.stream_id, entry.issued_at, entry.forget_at});
  ++per_connection_[connection];
  ++per_stream_[stream];
  by_expiry_.push(Due{entry.forget_at, false, std::move(nonce)});
  return {};
}

// Collapses the connection id with the most live entries into one tombstone. Safe: every
// evicted token was issued at or before the tombstone's issued_until, so each is still
// refused. False when that frees nothing (no connection id holds two entries).
bool ReplayCache::evict_heaviest() {
  auto heaviest = std::max_element(
      per_connection_.begin(), per_connection_.end(), [](const auto& a, const auto& b) {
        return a.second < b.second;
      });
  if (heaviest == per_connection_.end() || heaviest->second < 2) {
    return false;
  }
  const std::string victim = heaviest->first;
  Tombstone& tomb = tombstones_[victim];
  std::vector<std::string> evicted;
  for (const auto& [nonce, live] : nonces_) {
    if (live.connection_id == victim) {
      tomb.issued_until = std::max(tomb.issued_until, live.issued_at);
      tomb.forget_at = std::max(tomb.forget_at, live.forget_at);
      evicted.push_back(nonce);
    }
  }
  for (const std::string& nonce : evicted) {
    forget(nonce);
  }
  by_expiry_.push(Due{tomb.forget_at, true, victim});
  ++stats_.evictions;
  return true;
}

void ReplayCache::forget(const std::string& nonce) {
  auto it = nonces_.find(nonce);
  if (it == nonces_.end()) {
    return;
  }
  decrement(per_stream_, stream_key(it->second.connection_id, it->second.stream_id));
  decrement(per_connection_, it->second.connection_id);
  nonces_.erase(it);
}

void ReplayCache::expire(UnixSeconds now) {
  while (!by_expiry_.empty() && by_expiry_.top().at <= now) {
    const Due& due = by_expiry_.top();
    if (due.tombstone) {
      auto it = tombstones_.find(due.key);
      if (it != tombstones_.end() && it->second.forget_at <= now) {
        tombstones_.erase(it);
      }
    } else {
      forget(due.key);  // already evicted: nothing to do
    }
    by_expiry_.pop();
  }
}

}  // namespace connswap::migration
