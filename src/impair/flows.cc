#include "impair/flows.h"

namespace connswap::impair {

Flows::Flows(Duration idle_timeout) : idle_timeout_(idle_timeout) {}

Flows::Lookup Flows::on_client(const std::string& client, Timestamp now) {
  if (auto it = by_client_.find(client); it != by_client_.end()) {
    by_id_[it->second].last_used = now;
    return {it->second, false};
  }
  const std::uint64_t id = next_id_++;
  by_client_[client] = id;
  by_id_[id] = Flow{client, now};
  return {id, true};
}

bool Flows::touch(std::uint64_t id, Timestamp now) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) {
    return false;
  }
  it->second.last_used = now;
  return true;
}

std::optional<std::string> Flows::client_of(std::uint64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? std::nullopt : std::optional<std::string>(it->second.client);
}

void Flows::remove(std::uint64_t id) {
  auto it = by_id_.find(id);
  if (it != by_id_.end()) {
    by_client_.erase(it->second.client);
    by_id_.erase(it);
  }
}

std::vector<std::uint64_t> Flows::expire(Timestamp now) {
  std::vector<std::uint64_t> gone;
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    if (now >= idle_timeout_ && it->second.last_used < now - idle_timeout_) {
      gone.push_back(it->first);
      by_client_.erase(it->second.client);
      it = by_id_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

}  // namespace connswap::impair
