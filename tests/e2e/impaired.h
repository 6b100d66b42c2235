#pragma once
// The impaired-network e2e fixture: a Cluster whose every link runs through a
// connswap-impair relay (client <-> director, and per worker director <-> worker USER and
// worker -> director MGMT), plus what the client's log says about each stream.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "e2e/cluster.h"
#include "e2e/expect.h"

namespace connswap::e2e {

// A running relay and its ready-file (one NAME=ADDRESS per link).
struct RelayNode {
  std::unique_ptr<testing::Process> process;
  testing::ReadyFile ready;
  std::string at(const std::string& link) const;
};

class ImpairedCluster {
 public:
  // `impair`: relay flags shared by every link (--loss, --delay-ms, ...); each relay gets
  // its own --seed from `seed`.
  ImpairedCluster(Flags impair, std::uint64_t seed);
  // Stops the cluster first (so workers drain through their relays), then the relays.
  ~ImpairedCluster();

  Cluster& cluster() { return cluster_; }
  // Starts the director and the client-side relay in front of its USER port.
  Node& start_director(const Flags& flags = {});
  // Starts a relay for `label` (links `user` -> the worker's USER port, read from its
  // ready-file, and `mgmt` -> the director's MGMT port) with `relay_flags` over the shared
  // ones, then the worker, advertising the relay and registering through it.
  Node& start_worker(const std::string& label, const Flags& relay_flags = {});
  RelayNode& relay(const std::string& name) { return *relays_.at(name); }
  // A client of the client-side relay.
  testing::Process& start_client(const std::string& name, const Flags& flags);
  // SIGTERMs every relay after the cluster's shutdown and returns their stats lines.
  std::vector<std::string> stop_relays();

 private:
  RelayNode& start_relay(const std::string& name,
                         const std::vector<std::string>& links,
                         const Flags& flags);

  Flags impair_;
  std::uint64_t seed_;
  std::map<std::string, std::unique_ptr<RelayNode>> relays_;  // outlive the cluster's stop
  Cluster cluster_;
};

// One token line of a client's log.
struct TokenLine {
  long long us = -1;  // log time, microseconds since midnight
  std::string worker;
  std::uint64_t stream = 0;
  std::uint64_t seq = 0;
};
std::vector<TokenLine> token_lines(const testing::Process& client);

// Per stream, from the token lines: every sequence 1..max_tokens exactly once and in order
// (`intact`), the workers it was served by in order, and its largest gap between tokens.
struct StreamReport {
  bool intact = false;
  std::vector<std::string> workers;
  long long max_gap_ms = 0;
  std::vector<long long> switch_gaps_ms;  // gap across each change of worker
};
std::map<std::uint64_t, StreamReport> stream_reports(const testing::Process& client,
                                                     std::uint64_t max_tokens);

}  // namespace connswap::e2e
