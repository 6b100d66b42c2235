#pragma once
// One direction of an impaired link, sans-IO: datagrams go in with `now`, come out of
// pop() when their departure time has passed. Every random choice comes from one seeded
// generator (SplitMix64), so a seed and the arrival times fix the outcome.

#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <vector>

#include "base/bytes.h"
#include "base/time.h"
#include "impair/profile.h"

namespace connswap::impair {

// A datagram in flight; `flow` is the caller's tag (which client mapping it belongs to).
struct Datagram {
  std::uint64_t flow = 0;
  Bytes data;
};

// What happened to the datagrams pushed so far.
struct PipeStats {
  std::uint64_t received = 0;     // push() calls
  std::uint64_t delivered = 0;    // pop() results (duplicates included)
  std::uint64_t lost = 0;         // dropped by `loss`
  std::uint64_t blackholed = 0;   // dropped because the link was down
  std::uint64_t queue_drops = 0;  // rate-limit backlog over queue_bytes
  std::uint64_t duplicated = 0;   // extra copies made
  std::uint64_t reordered = 0;    // sent without the delay
};

class Pipe {
 public:
  // `profile` must pass validate().
  Pipe(const Profile& profile, std::uint64_t seed);

  // Takes a datagram arriving at `now`; `blackholed` drops it (the link is down). Packets
  // already in flight still arrive (they left before the link went down).
  void push(Timestamp now, Datagram datagram, bool blackholed);
  // The next datagram whose departure time is <= now, in departure order (ties: arrival
  // order); nullopt if none is due.
  std::optional<Datagram> pop(Timestamp now);
  // When the next datagram is due (kNever: none queued).
  Timestamp deadline() const;

  const PipeStats& stats() const { return stats_; }
  std::size_t in_flight() const { return queue_.size(); }

 private:
  struct Entry {
    Timestamp due;
    std::uint64_t order;
    Datagram datagram;
    bool operator>(const Entry& other) const {
      return due != other.due ? due > other.due : order > other.order;
    }
  };

  void schedule(Timestamp now, Datagram datagram);
  Timestamp serialize(Timestamp now, std::size_t bytes);  // rate limit; kNever = tail drop
  double uniform();                                       // [0, 1)

  Profile profile_;
  std::uint64_t rng_;
  Timestamp link_free_ = 0;       // when the rate limiter has sent everything queued
  Timestamp last_departure_ = 0;  // keeps jitter from reordering (netem's tfifo)
  std::uint64_t next_order_ = 0;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_;
  PipeStats stats_;
};

}  // namespace connswap::impair
