#pragma once
// Private to DirectorService: the liveness probes the core asked for (director::ProbeWorker),
// carried out on the WorkerConnector. A probe PINGs the worker's connection `pings` times
// over max(`timeout`, 3 x the connection's PTO) and is answered once the connection
// received any packet after it started;
// if none came by the end, the worker is unresponsive. A turn that runs late (this
// director's own loop starved) extends the probe rather than blaming the worker.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/time.h"

namespace connswap::services {
class WorkerConnector;
}

namespace connswap::services::detail {

struct ProbeOutcome {
  std::string worker;
  bool answered = false;
  Timestamp heard = 0;  // the connection's last packet (answered), else when it was last heard
};

class Probes {
 public:
  // `connector` must outlive this. timeout > 0, pings >= 1.
  Probes(WorkerConnector& connector, Duration timeout, int pings);

  // PINGs `addr` now. False if there is no connection to probe (nothing will be reported:
  // the core is told at once by the caller).
  bool start(const std::string& worker, const std::string& addr, Timestamp now);
  Timestamp deadline() const { return next_; }
  // Re-PINGs and concludes the probes due at `now`.
  std::vector<ProbeOutcome> on_timeout(Timestamp now);

  std::uint64_t pings() const { return pings_sent_; }
  std::uint64_t extended() const { return extended_; }  // concluded late: given more time

 private:
  struct Probe {
    std::string addr;
    Timestamp started = 0;
    Timestamp next_ping = 0;
    Timestamp until = 0;
    Duration every = 0;  // between PINGs: the wait / pings
  };
  static constexpr Duration kPtoSpan = 3;
  void refresh_deadline();

  WorkerConnector& connector_;
  Duration timeout_;
  Duration pings_;
  std::map<std::string, Probe, std::less<>> probes_;  // by worker label; few at once
  Timestamp next_ = kNever;
  std::uint64_t pings_sent_ = 0;
  std::uint64_t extended_ = 0;
};

}  // namespace connswap::services::detail
