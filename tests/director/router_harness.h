#pragma once
// Test driver for StreamRouter: owns config, pool and router, a virtual clock, and collects
// actions and events; plays the client (records what it would receive).

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "director/stream_router.h"

namespace connswap::director::testing {

// What the client of one stream has received, in order.
struct ClientView {
  std::vector<std::uint64_t> seqs;
  std::vector<std::string> texts;
  std::vector<SendMigrated> migrated;
  std::vector<std::string> assigned;
  std::optional<FinishStream> finish;
};

// Deterministic token text for tests (the router never looks at it).
inline std::string text_for(std::uint64_t seq) {
  return "w" + std::to_string(seq) + " ";
}

class Harness {
 public:
  explicit Harness(DirectorConfig config = {})
      : config_(std::move(config)), pool(config_), router(config_, pool) {}

  // Registers (or re-registers) a worker and tells the router it may be used.
  void add_worker(const std::string& label) {
    WorkerRegistration reg{label, "addr-" + label, "mgmt-" + label, 0, true, false};
    if (pool.on_register(reg, now) == WorkerChange::kBecameSelectable) {
      router.on_worker_available(label, now);
    }
    collect();
  }
  void heartbeat(const std::string& label) {
    ASSERT_TRUE(pool.on_heartbeat(WorkerHeartbeat{label, 0, true, false}, now));
  }

  StreamKey open(std::uint32_t max_tokens, std::uint64_t start_seq = 1) {
    auto key = router.open_stream("conn-1234",
                                  next_stream_id_++,
                                  {.prompt = "p", .max_tokens = max_tokens, .start_seq = start_seq},
                                  now);
    EXPECT_TRUE(key);
    collect();
    return *key;
  }

  // Moves every pending action/event into the logs and the client views.
  void collect() {
    while (auto a = router.poll_action()) {
      apply(*a);
      actions.push_back(std::move(*a));
    }
    while (auto e = router.poll_event()) {
      events.push_back(std::move(*e));
    }
  }

  void token(AttemptId attempt, std::uint64_t seq) {
    router.on_worker_token(attempt, seq, text_for(seq), now);
    collect();
  }
  void advance_to(Timestamp t) {
    now = t;
    router.on_timeout(now);
    collect();
  }
  // Runs on_timeout at every deadline up to `t` (a real loop's timer).
  void run_until(Timestamp t) {
    for (Timestamp d = router.deadline(); d <= t; d = router.deadline()) {
      now = std::max(now, d);
      router.on_timeout(now);
      collect();
    }
    now = t;
  }

  // A copy of the latest StartAttempt for `stream` (a copy: `actions` keeps growing).
  std::optional<StartAttempt> last_start(StreamKey stream) const {
    for (auto it = actions.rbegin(); it != actions.rend(); ++it) {
      if (auto* s = std::get_if<StartAttempt>(&*it); s != nullptr && s->stream == stream) {
        return *s;
      }
    }
    return std::nullopt;
  }
  template <class T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& a : actions) {
      if (auto* t = std::get_if<T>(&a)) {
        out.push_back(*t);
      }
    }
    return out;
  }
  template <class T>
  std::vector<T> all_events() const {
    std::vector<T> out;
    for (const auto& e : events) {
      if (auto* t = std::get_if<T>(&e)) {
        out.push_back(*t);
      }
    }
    return out;
  }

  DirectorConfig config_;
  WorkerPool pool;
  StreamRouter router;
  Timestamp now = 1000 * kSecond;
  std::vector<Action> actions;
  std::vector<Event> events;
  std::map<StreamKey, ClientView> clients;
  std::map<AttemptId, bool> cancelled;

 private:
  void apply(const Action& a) {
    if (auto* t = std::get_if<ForwardToken>(&a)) {
      auto& c = clients[t->stream];
      EXPECT_FALSE(c.finish) << "token after finish";
      c.seqs.push_back(t->seq);
      c.texts.push_back(t->text);
    } else if (auto* m = std::get_if<SendMigrated>(&a)) {
      clients[m->stream].migrated.push_back(*m);
    } else if (auto* s = std::get_if<SendAssigned>(&a)) {
      clients[s->stream].assigned.push_back(s->worker);
    } else if (auto* f = std::get_if<FinishStream>(&a)) {
      EXPECT_FALSE(clients[f->stream].finish) << "finished twice";
      clients[f->stream].finish = *f;
    } else if (auto* c = std::get_if<CancelAttempt>(&a)) {
      cancelled[c->attempt] = true;
    }
  }

  std::uint64_t next_stream_id_ = 1;
};

// 1..n, for comparing with ClientView::seqs.
inline std::vector<std::uint64_t> iota_seqs(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> v;
  for (std::uint64_t s = first; s <= last; ++s) {
    v.push_back(s);
  }
  return v;
}

}  // namespace connswap::director::testing
