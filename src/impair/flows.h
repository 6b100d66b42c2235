#pragma once
// The relay's client mappings, sans-IO: each client address seen on a listening port gets
// a flow (its own upstream socket in the relay), so the target sees one stable peer per
// client and answers go back to the right client. Idle flows expire.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/time.h"

namespace connswap::impair {

class Flows {
 public:
  // A flow with no datagram either way for `idle_timeout` is forgotten by expire().
  explicit Flows(Duration idle_timeout);

  struct Lookup {
    std::uint64_t id;
    bool created;  // the caller opens the flow's upstream socket
  };
  // The flow of `client` (an address string), created if new; marks it used at `now`.
  Lookup on_client(const std::string& client, Timestamp now);
  // Marks flow `id` used (an answer from the target); false if it is unknown.
  bool touch(std::uint64_t id, Timestamp now);
  // The client address of flow `id`, if it exists.
  std::optional<std::string> client_of(std::uint64_t id) const;
  // Forgets flow `id` at once (its upstream socket could not be opened); no-op if unknown.
  void remove(std::uint64_t id);
  // Removes flows idle since before now - idle_timeout; returns their ids (close sockets).
  std::vector<std::uint64_t> expire(Timestamp now);
  std::size_t size() const { return by_id_.size(); }

 private:
  struct Flow {
    std::string client;
    Timestamp last_used;
  };
  Duration idle_timeout_;
  std::uint64_t next_id_ = 1;
  std::map<std::string, std::uint64_t> by_client_;
  std::map<std::uint64_t, Flow> by_id_;
};

}  // namespace connswap::impair
