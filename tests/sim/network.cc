#include "sim/network.h"

#include <algorithm>

#include <netinet/in.h>

namespace connswap::sim {

std::uint32_t host_of(const Address& a) {
  if (a.family() != AF_INET) {
    return 0;
  }
  return reinterpret_cast<const sockaddr_in*>(a.sa())->sin_addr.s_addr;
}

void Network::set_link(const Address& a, const Address& b, const LinkConfig& config) {
  links_[{host_of(a), host_of(b)}] = config;
  links_[{host_of(b), host_of(a)}] = config;
}

void Network::set_partition(const Address& a, const Address& b, bool on) {
  const Rule rule{host_of(a), host_of(b), b.port()};
  std::erase_if(partitions_, [&](const Rule& r) {
    return r.a == rule.a && r.b == rule.b && r.b_port == rule.b_port;
  });
  if (on) {
    partitions_.push_back(rule);
  }
}

const LinkConfig& Network::link(const Address& from, const Address& to) const {
  auto it = links_.find({host_of(from), host_of(to)});
  return it == links_.end() ? default_ : it->second;
}

bool Network::partitioned(const Address& from, const Address& to) const {
  const std::uint32_t f = host_of(from);
  const std::uint32_t t = host_of(to);
  return std::any_of(partitions_.begin(), partitions_.end(), [&](const Rule& r) {
    return (r.a == f && r.b == t && (r.b_port == 0 || r.b_port == to.port())) ||
           (r.a == t && r.b == f && (r.b_port == 0 || r.b_port == from.port()));
  });
}

bool Network::chance(double p) {
  return p > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < p;
}

void Network::send(const Address& from, const Address& to, ByteSpan data, Timestamp now) {
  ++stats_.sent;
  if (partitioned(from, to)) {
    ++stats_.partitioned;
    return;
  }
  const LinkConfig& c = link(from, to);
  if (chance(c.loss)) {
    ++stats_.lost;
    return;
  }
  const int copies = chance(c.duplicate) ? 2 : 1;
  stats_.duplicated += copies - 1;
  for (int i = 0; i < copies; ++i) {
    Timestamp at = now + c.delay;
    if (c.jitter > 0) {
      at += std::uniform_int_distribution<Duration>(0, c.jitter)(rng_);
    }
    if (chance(c.reorder)) {
      ++stats_.reordered;
      at += std::uniform_int_distribution<Duration>(c.delay, 4 * c.delay)(rng_);
    }
    enqueue(from, to, data, at);
  }
}

void Network::enqueue(const Address& from, const Address& to, ByteSpan data, Timestamp at) {
  queue_.push(InFlight{at, next_seq_++, Datagram{from, to, Bytes(data.begin(), data.end())}});
}

Timestamp Network::next_delivery() const {
  return queue_.empty() ? kNever : queue_.top().at;
}

void Network::deliver_due(Timestamp now) {
  while (!queue_.empty() && queue_.top().at <= now) {
    InFlight f = queue_.top();
    queue_.pop();
    if (partitioned(f.datagram.from, f.datagram.to)) {
      ++stats_.partitioned;
      continue;
    }
    ++stats_.delivered;
    if (receiver_) {
      receiver_(f.datagram, now);
    }
  }
}

}  // namespace connswap::sim
