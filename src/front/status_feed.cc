#include "front/status_feed.h"

#include "front/detail/json.h"

namespace connswap::front {

std::string encode_status_event(const services::StatusEvent& event) {
  using Kind = services::StatusEvent::Kind;
  nlohmann::json j;
  if (event.kind == Kind::kWorkerState) {
    j = {{"worker", event.worker}, {"from", event.from}, {"to", event.to}};
  } else {
    j = {{"connection_id", event.connection_id},
         {"stream_id", event.stream_id},
         {"from", event.from},
         {"to", event.to}};
    if (event.kind == Kind::kMigration) {
      j["reason"] = event.reason;
    } else {
      j["gap_ms"] = static_cast<double>(event.gap) / static_cast<double>(kMillisecond);
    }
  }
  return "event: " + std::string(services::to_string(event.kind)) + "\ndata: " + dump_json(j) +
         "\n\n";
}

std::uint64_t StatusFeed::subscribe(std::function<void()> wake) {
  const std::uint64_t id = next_id_++;
  subscribers_.emplace(id, Subscriber{std::move(wake), {}});
  stats_.subscribers = subscribers_.size();
  return id;
}

void StatusFeed::unsubscribe(std::uint64_t id) {
  subscribers_.erase(id);
  stats_.subscribers = subscribers_.size();
}

void StatusFeed::publish(const services::StatusEvent& event) {
  ++stats_.events;
  if (subscribers_.empty()) {
    return;
  }
  auto text = std::make_shared<const std::string>(encode_status_event(event));
  for (auto& [id, s] : subscribers_) {
    if (s.queue.size() >= max_queue_) {
      s.queue.pop_front();
      ++stats_.dropped;
    }
    s.queue.push_back(text);
    if (s.queue.size() == 1 && s.wake) {
      s.wake();
    }
  }
}

std::optional<std::shared_ptr<const std::string>> StatusFeed::pop(std::uint64_t id) {
  auto it = subscribers_.find(id);
  if (it == subscribers_.end() || it->second.queue.empty()) {
    return std::nullopt;
  }
  auto text = std::move(it->second.queue.front());
  it->second.queue.pop_front();
  return text;
}

}  // namespace connswap::front
