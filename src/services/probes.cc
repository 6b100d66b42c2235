// DirectorService's liveness probes (detail/probes.h).

#include "services/detail/probes.h"

#include <algorithm>

#include "services/director_service.h"

namespace connswap::services::detail {

Probes::Probes(WorkerConnector& connector, Duration timeout, int pings)
    : connector_(connector), timeout_(timeout), pings_(static_cast<Duration>(std::max(pings, 1))) {}

bool Probes::start(const std::string& worker, const std::string& addr, Timestamp now) {
  if (!connector_.probe(addr, now)) {
    return false;
  }
  ++pings_sent_;
  // At least three of the path's PTOs: a slow path or a loaded worker acknowledges late
  // without being dead (RFC 9002 §7.6: three PTOs without an ACK is persistent congestion).
  const Duration wait = std::max(timeout_, kPtoSpan * connector_.pto(addr));
  const Duration every = std::max<Duration>(wait / pings_, 1);
  probes_[worker] = Probe{addr, now, now + every, now + wait, every};
  refresh_deadline();
  return true;
}

std::vector<ProbeOutcome> Probes::on_timeout(Timestamp now) {
  std::vector<ProbeOutcome> out;
  if (now < next_) {
    return out;
  }
  for (auto it = probes_.begin(); it != probes_.end();) {
    Probe& p = it->second;
    const Timestamp heard = connector_.last_heard(p.addr);
    if (heard > p.started) {
      out.push_back({it->first, true, heard});
      it = probes_.erase(it);
      continue;
    }
    if (now >= p.until) {
      // Late by more than a ping period: our own loop did not run, and the answer may be
      // waiting in the socket unread. Another period, then judge.
      if (now - p.until > p.every) {
        ++extended_;
        p.until = now + p.every;
      } else {
        out.push_back({it->first, false, heard});
        it = probes_.erase(it);
        continue;
      }
    }
    if (now >= p.next_ping) {
      if (!connector_.probe(p.addr, now)) {
        // The connection went (its calls end on their own): nothing left to judge.
        out.push_back({it->first, true, heard});
        it = probes_.erase(it);
        continue;
      }
      ++pings_sent_;
      p.next_ping = now + p.every;
    }
    ++it;
  }
  refresh_deadline();
  return out;
}

void Probes::refresh_deadline() {
  next_ = kNever;
  for (const auto& [worker, p] : probes_) {
    next_ = std::min({next_, p.next_ping, p.until});
  }
}

}  // namespace connswap::services::detail
