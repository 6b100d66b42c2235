#include "impair/pipe.h"

#include <algorithm>
#include <utility>

namespace connswap::impair {

Pipe::Pipe(const Profile& profile, std::uint64_t seed) : profile_(profile), rng_(seed) {}

double Pipe::uniform() {
  // SplitMix64 (Steele et al. 2014): portable and fully determined by the seed, unlike the
  // std:: distributions, whose output differs between standard libraries.
  std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

void Pipe::push(Timestamp now, Datagram datagram, bool blackholed) {
  ++stats_.received;
  if (blackholed) {
    ++stats_.blackholed;
    return;
  }
  // Draw every choice for every datagram, so one decision never shifts the others' draws.
  const bool lose = uniform() < profile_.loss;
  const bool twice = uniform() < profile_.duplicate;
  if (lose) {
    ++stats_.lost;
    return;
  }
  if (twice) {
    ++stats_.duplicated;
    schedule(now, datagram);
  }
  schedule(now, std::move(datagram));
}

Timestamp Pipe::serialize(Timestamp now, std::size_t bytes) {
  if (profile_.rate_bytes_per_s == 0) {
    return now;
  }
  const Timestamp start = std::max(now, link_free_);
  const std::uint64_t backlog =
      (start - now) * profile_.rate_bytes_per_s / kSecond;  // bytes still ahead of this one
  if (backlog + bytes > profile_.queue_bytes) {
    return kNever;
  }
  link_free_ = start + bytes * kSecond / profile_.rate_bytes_per_s;
  return link_free_;
}

void Pipe::schedule(Timestamp now, Datagram datagram) {
  const Timestamp sent = serialize(now, datagram.data.size());
  if (sent == kNever) {
    ++stats_.queue_drops;
    return;
  }
  const bool early = uniform() < profile_.reorder;
  const double spread = uniform();
  Timestamp due = sent;
  if (early) {
    ++stats_.reordered;
  } else {
    // Uniform in [delay - jitter, delay + jitter]; never before the previous in-order
    // datagram, so jitter varies the delay without reordering (only `reorder` does).
    const Duration lowest = profile_.delay - profile_.jitter;
    due = sent + lowest + static_cast<Duration>(spread * static_cast<double>(2 * profile_.jitter));
    due = std::max(due, last_departure_);
    last_departure_ = due;
  }
  queue_.push(Entry{due, next_order_++, std::move(datagram)});
}

std::optional<Datagram> Pipe::pop(Timestamp now) {
  if (queue_.empty() || queue_.top().due > now) {
    return std::nullopt;
  }
  // priority_queue::top() is const; the entry is discarded right after, so moving out of
  // it is safe.
  Datagram out = std::move(const_cast<Entry&>(queue_.top()).datagram);
  queue_.pop();
  ++stats_.delivered;
  return out;
}

Timestamp Pipe::deadline() const {
  return queue_.empty() ? kNever : queue_.top().due;
}

}  // namespace connswap::impair
