// StreamRouter, make-before-break pacing: when a drain/move standby starts, and what happens
// when it comes up behind the old worker.
//
// A standby's first token costs nothing only if it reaches us before the old worker's next
// one: then the standby delivers next_seq first and takes over within the interval. A
// standby whose first token is a duplicate (the old worker sent that seq first) runs behind
// the old worker's phase at the same pace, so taking over then would lose part of an
// interval per token it is behind. So the standby is started right after one of the old
// worker's tokens (a whole interval for its first token), and one that still comes up one
// token behind is restarted there, up to handover_retries times, before it takes over
// behind. How long a start takes grows with how many start at once, so at most a window
// of standbys is starting: halved when they come up behind, widened when they win.

#include <algorithm>
#include <iterator>
#include <utility>

#include "director/stream_router.h"

namespace connswap::director {

using migration::MigrationEvent;
using migration::MigrationState;

// Starts the standby toward `w` now when the primary's next token is still most of an
// interval away, else right after that token. False if the stream cannot hand over.
bool StreamRouter::arm_handover(Stream& s, const WorkerInfo& w, FailureReason why, Timestamp now) {
  const MigrationState state = s.machine.state();
  const bool eligible = s.primary.id != 0 && s.standby.id == 0 &&
                        s.handover_after != s.primary.id &&
                        (state == MigrationState::kStarting || state == MigrationState::kStreaming);
  if (!eligible) {
    return false;
  }
  s.handover_losses = 0;
  s.handover_to = w.label;
  s.handover_reason = why;
  if (early_in_interval(s, now) && standby_slot_free()) {
    return start_standby(s, w, now);
  }
  s.handover_after = s.primary.id;
  return true;
}

bool StreamRouter::start_standby(Stream& s, const WorkerInfo& w, Timestamp now) {
  if (!start_handover(s, w, s.handover_reason, now)) {
    return false;
  }
  standbys_.insert(s.ref.stream);
  return true;
}

// Fewer standbys than the window allows are waiting for their first token (forgets the
// streams whose standby is gone: it took over, failed or was restarted).
bool StreamRouter::standby_slot_free() {
  for (auto it = standbys_.begin(); it != standbys_.end();) {
    auto s = streams_.find(*it);
    const bool waiting = s != streams_.end() && s->second.standby.id != 0;
    it = waiting ? std::next(it) : standbys_.erase(it);
  }
  return standbys_.size() < standby_window_;
}

// Adapts how many standbys start at once to how long their start takes now: one that came
// up one token behind (it nearly made it: fewer at once may) halves the window, once per
// round (only if started since the last cut); one that took over widens it by one. A
// standby further behind takes over too: when no start makes it in time (an overloaded
// machine), the window must not shrink the drain to a crawl.
void StreamRouter::on_standby_race(const Stream& s, bool took_over, Timestamp now) {
  if (took_over) {
    standby_window_ = std::min(standby_window_ + 1, config_.handover_window);
  } else if (s.standby.started >= window_cut_at_) {
    standby_window_ = std::max<std::uint32_t>(standby_window_ / 2, 1);
    window_cut_at_ = now;
  }
}

// True unless the primary streams at a known pace and a quarter of its interval has gone
// since its last token (then waiting for the next token gives the standby more time).
bool StreamRouter::early_in_interval(const Stream& s, Timestamp now) const {
  const bool paced =
      s.primary.delivered && s.rate_attempt == s.primary.id && s.ewma_gap > 0 && !s.client_blocked;
  return !paced || now - s.last_token_at <= s.ewma_gap / 4;
}

// The primary just forwarded a token: start the waiting standby, on the worker chosen at
// the drain/move (or that lost the last race) if it is still selectable; for a drain, else
// on another one. Nowhere to go: the stream stays where it is.
void StreamRouter::start_pending_handover(Stream& s, Timestamp now) {
  if (!standby_slot_free()) {
    s.handover_after = s.primary.id;  // too many standbys starting: after its next token
    return;
  }
  s.handover_after = 0;
  const WorkerInfo* w = pool_.find(s.handover_to);
  if (w != nullptr && (w->state != WorkerState::kActive || !serves(*w, s.request.model) ||
                       w->label == s.primary.worker)) {
    w = nullptr;
  }
  if (w == nullptr && s.handover_reason == FailureReason::kDrain) {
    const std::string exclude[] = {s.primary.worker};
    w = pool_.select(exclude, s.request.model);
  }
  if (w != nullptr) {
    start_standby(s, *w, now);
  }
}

// The standby's first token, `seq`, was one the primary already delivered: it runs behind
// the primary. If it lost by less than an interval (seq is the primary's latest), restart
// it after the primary's next token while retries remain: that gives it a whole interval.
// Further behind, a restart would come up behind again (its start takes longer than an
// interval now): let it take over behind at once.
void StreamRouter::on_standby_behind(Stream& s, std::uint64_t seq, Timestamp now) {
  if (s.handover_losses >= config_.handover_retries || seq + 1 != s.next_seq) {
    on_standby_race(s, /*took_over=*/true, now);
    switchover(s, now);  // behind the stream: its next new token comes at its own phase
    return;
  }
  on_standby_race(s, /*took_over=*/false, now);
  ++s.handover_losses;
  ++stats_.handover_retries;
  s.handover_to = s.standby.worker;
  const std::string why = "standby on " + s.standby.worker + " behind " + s.primary.worker +
                          ": restart after its next token";
  release(s, s.standby, /*cancel=*/true);
  transition(s, MigrationEvent::kStandbyFailed, why, now);
  if (early_in_interval(s, now)) {
    start_pending_handover(s, now);
  } else {
    s.handover_after = s.primary.id;
  }
}

}  // namespace connswap::director
