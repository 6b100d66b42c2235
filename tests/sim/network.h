#pragma once
// The simulator's virtual network: hosts (IPv4 addresses) exchange UDP datagrams over
// links with per-pair delay, jitter, loss, reordering, duplication and partitions, all
// drawn from one seeded generator. Sans-IO like everything it carries: the owner asks for
// next_delivery(), advances its virtual clock there and calls deliver_due(now).

#include <cstdint>
#include <functional>
#include <map>
#include <queue>
#include <random>
#include <utility>
#include <vector>

#include "base/address.h"
#include "base/bytes.h"
#include "base/time.h"

namespace connswap::sim {

// How one direction of a host pair behaves. Probabilities are per datagram.
struct LinkConfig {
  Duration delay = 1 * kMillisecond;  // one way
  Duration jitter = 0;                // extra delay, uniform in [0, jitter]
  double loss = 0.0;
  double reorder = 0.0;    // held back by a further [delay, 4 x delay] (overtaken)
  double duplicate = 0.0;  // delivered twice, each copy with its own delay
};

// One datagram as the receiver sees it.
struct Datagram {
  Address from;
  Address to;
  Bytes data;
};

struct NetworkStats {
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;         // dropped by LinkConfig::loss
  std::uint64_t partitioned = 0;  // dropped by a partition
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
};

// The IPv4 host part of `a` (network byte order), the key of every per-host setting.
std::uint32_t host_of(const Address& a);

class Network {
 public:
  using Receiver = std::function<void(Datagram&, Timestamp now)>;

  explicit Network(std::uint64_t seed) : rng_(seed) {}

  // Every datagram is handed to `receiver`, which finds the host and port (or drops it).
  void set_receiver(Receiver receiver) { receiver_ = std::move(receiver); }
  // The default for every pair without its own config.
  void set_default(const LinkConfig& config) { default_ = config; }
  // Both directions between the hosts of `a` and `b`.
  void set_link(const Address& a, const Address& b, const LinkConfig& config);
  // Drops every datagram between the host of `a` and `b` (just `b`'s port when b has one:
  // e.g. only a worker's MGMT path to the director), in both directions, while on; also
  // those already in flight. Off removes the rule.
  void set_partition(const Address& a, const Address& b, bool on);

  // Queues `data` from -> to at `now`, through the pair's LinkConfig.
  void send(const Address& from, const Address& to, ByteSpan data, Timestamp now);
  Timestamp next_delivery() const;  // kNever when nothing is in flight
  // Hands every datagram due at `now` to the receiver, in delivery order.
  void deliver_due(Timestamp now);

  std::mt19937_64& rng() { return rng_; }
  const NetworkStats& stats() const { return stats_; }

 private:
  struct InFlight {
    Timestamp at;
    std::uint64_t seq;  // FIFO among equal times: runs stay deterministic
    Datagram datagram;
    bool operator>(const InFlight& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  struct Rule {
    std::uint32_t a, b;
    std::uint16_t b_port;  // 0 = any
  };

  const LinkConfig& link(const Address& from, const Address& to) const;
  bool partitioned(const Address& from, const Address& to) const;
  bool chance(double p);
  void enqueue(const Address& from, const Address& to, ByteSpan data, Timestamp at);

  std::mt19937_64 rng_;
  Receiver receiver_;
  LinkConfig default_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, LinkConfig> links_;
  std::vector<Rule> partitions_;
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<>> queue_;
  std::uint64_t next_seq_ = 0;
  NetworkStats stats_;
};

}  // namespace connswap::sim
