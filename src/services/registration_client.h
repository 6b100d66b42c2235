#pragma once
// RegistrationClient: the worker's side of connswap.v1.Registry on the director's MGMT port.
// Registers with exponential backoff and seeded jitter, heartbeats every interval with the
// worker's load/available/draining, registers again on NOT_FOUND (the director restarted)
// or after the MGMT connection was lost, and announces a drain. Sends nothing while the
// worker is hung (WorkerStatus::hung), so the director sees the heartbeat stop. Sans-IO.
//
// The owner must: construct it; start(now); after every loop turn arm a timer at
// deadline() and call on_timeout(now); call on_connection_lost(now) when the MGMT
// connection closes; stop() before destroying the director link's Sessions.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/error.h"
#include "base/time.h"
#include "rpc/session.h"
#include "services/common.h"
#include "services/worker_service.h"

namespace connswap::services {

// How the worker reaches the director's MGMT port (production: an rpcnet channel).
class DirectorLink {
 public:
  virtual ~DirectorLink() = default;
  // The Session of the MGMT connection, connecting first if needed; an error means not
  // connected now (the client backs off and asks again).
  virtual Result<rpc::Session*> session(Timestamp now) = 0;
};

struct RegistrationConfig {
  std::string label;                          // the worker's unique name
  std::string user_addr;                      // advertised USER address (Worker/Generate)
  std::string mgmt_addr;                      // advertised MGMT address (WorkerAdmin)
  std::string model{};                        // the model id it serves ("" = none announced)
  Duration heartbeat_interval = 5 * kSecond;  // until the director says otherwise
  Duration initial_backoff = 100 * kMillisecond;
  Duration max_backoff = 5 * kSecond;
  Duration call_timeout = 2 * kSecond;  // deadline of each Register/Heartbeat/Drain call
  std::uint64_t jitter_seed = 1;        // backoff jitter: delay in [backoff/2, backoff]
};

struct RegistrationStats {
  std::uint64_t registrations = 0;  // successful Register calls
  std::uint64_t register_failures = 0;
  std::uint64_t heartbeats = 0;  // successful Heartbeat calls
  std::uint64_t heartbeat_failures = 0;
  std::uint64_t not_found = 0;  // Heartbeats answered NOT_FOUND
};

class RegistrationClient {
 public:
  // `link` must outlive the client; `status` is asked for each Register/Heartbeat; `now`
  // dates call results (they arrive from Session events, which carry no time).
  RegistrationClient(RegistrationConfig config,
                     DirectorLink& link,
                     std::function<WorkerStatus()> status,
                     NowFn now);
  ~RegistrationClient();
  RegistrationClient(const RegistrationClient&) = delete;
  RegistrationClient& operator=(const RegistrationClient&) = delete;

  // Registers now (or at the first on_timeout); idempotent.
  void start(Timestamp now);
  // The MGMT connection closed: abandon calls in flight and register again (backoff).
  void on_connection_lost(Timestamp now);
  // Sends Registry/Drain (retried until acknowledged); heartbeats say draining from now.
  void announce_drain(Timestamp now);

  // The worker's status changed (e.g. its model server became unhealthy): when registered,
  // the next heartbeat goes at once instead of at the end of the interval.
  void heartbeat_soon(Timestamp now);

  Timestamp deadline() const;
  void on_timeout(Timestamp now);

  bool registered() const;       // the last Register succeeded and no failure since
  bool drain_announced() const;  // the director acknowledged Drain
  RegistrationStats stats() const;
  // Abandons calls in flight; sends nothing more. Idempotent; the destructor calls it.
  void stop();

  class Impl;  // registration_client.cc

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace connswap::services
