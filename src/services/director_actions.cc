// DirectorService: executing the core's actions (client writes, worker calls) and feeding
// the worker calls' items and ends back to it.

#include <type_traits>
#include <utility>

#include "base/log.h"
#include "services/detail/director_impl.h"

namespace connswap::services {

using director::AttemptId;
using director::StreamKey;

namespace {

spdlog::logger& logger() {
  return log::get("director");
}

rpc::StatusCode to_rpc(director::StatusCode code) {
  return static_cast<rpc::StatusCode>(static_cast<std::uint8_t>(code));
}

}  // namespace

void DirectorService::Impl::execute(director::Action& action) {
  std::visit(
      [this](auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, director::StartAttempt>) {
          start_or_queue(a);
        } else if constexpr (std::is_same_v<T, director::CancelAttempt>) {
          if (!unqueue(a.attempt)) {
            upstreams_.forget(a.attempt, /*cancel=*/true);
          }
        } else if constexpr (std::is_same_v<T, director::ForwardToken>) {
          forward_token(a);
        } else if constexpr (std::is_same_v<T, director::SendAssigned>) {
          send_assigned(a);
        } else if constexpr (std::is_same_v<T, director::SendMigrated>) {
          send_migrated(a);
        } else if constexpr (std::is_same_v<T, director::ProbeWorker>) {
          start_probe(a);
        } else {
          finish_stream(a);
        }
      },
      action);
}

// --- client side ---

// The per-token path: fills one reused item (its Token and strings keep their memory).
void DirectorService::Impl::forward_token(director::ForwardToken& a) {
  detail::ClientStream* c = clients_.find(a.stream);
  if (c == nullptr) {
    return;
  }
  const Timestamp now = now_();
  ++c->unbooked_tokens;  // booked when the book is read (book_tokens)
  c->last_token_at = now;
  status_.on_token(a.worker, now);
  ++c->since_ticket;
  v1::GenerateItem::Token* t = token_item_.mutable_token();
  t->set_seq(a.seq);
  t->set_text(a.text);
  t->set_worker(a.worker);
  t->set_emit_ns(a.emit_ns);
  tickets_.note(a.stream, *c, /*forced=*/false, now);
  note_turn_item(token_item_);
  after_write(a.stream, clients_.send_token(a.stream, *c, token_item_));
}

void DirectorService::Impl::send_assigned(director::SendAssigned& a) {
  detail::ClientStream* c = clients_.find(a.stream);
  if (c == nullptr) {
    return;
  }
  v1::GenerateItem item;
  auto* as = item.mutable_assigned();
  as->set_connection_id(c->connection_id);
  as->set_stream_id(c->stream_id);
  as->set_worker(std::move(a.worker));
  tickets_.note(a.stream, *c, /*forced=*/true, now_());
  send(a.stream, std::move(item));
}

void DirectorService::Impl::send_migrated(director::SendMigrated& a) {
  v1::GenerateItem item;
  auto* m = item.mutable_migrated();
  m->set_from(std::move(a.from));
  m->set_to(std::move(a.to));
  m->set_reason(std::move(a.reason));
  m->set_resume_seq(a.resume_seq);
  send(a.stream, std::move(item));
}

void DirectorService::Impl::finish_stream(const director::FinishStream& f) {
  detail::ClientStream* c = clients_.find(f.stream);
  if (c == nullptr) {
    return;
  }
  on_finished_stream(*c, f.code);
  status_.on_finished(f.stream);
  if (f.code == director::StatusCode::kOk) {
    v1::GenerateItem item;
    item.mutable_done()->set_tokens(f.tokens);
    item.mutable_done()->set_finish_reason(f.message);
    item.mutable_done()->set_prompt_tokens(f.prompt_tokens);
    clients_.push(*c, std::move(item));
  } else if (f.code == director::StatusCode::kUnavailable) {
    // The stream may continue elsewhere (or here, later): a ticket from where it stopped.
    send_ticket(f.stream, {f.next_seq, f.window, f.migrations, f.failovers});
  }
  c->finish = rpc::Status{to_rpc(f.code), f.message};
  after_write(f.stream, clients_.flush(f.stream));
}

void DirectorService::Impl::send(StreamKey key, v1::GenerateItem item) {
  after_write(key, clients_.send(key, std::move(item)));
}

void DirectorService::Impl::after_write(StreamKey key, detail::Flow flow) {
  note_buffered(key, flow);  // director_budget.cc
  if (flow == detail::Flow::kBlocked || flow == detail::Flow::kFlowing) {
    set_blocked(key, flow == detail::Flow::kBlocked);
  }
}

// Pauses (or resumes) reading every worker call of the stream, so a slow client slows its
// workers down through flow control instead of growing our queues.
void DirectorService::Impl::set_blocked(StreamKey key, bool blocked) {
  detail::ClientStream* c = clients_.find(key);
  if (c == nullptr || c->blocked == blocked) {
    return;
  }
  c->blocked = blocked;
  note_blocked(key, *c, blocked);
  extra_.client_blocks += blocked ? 1 : 0;
  if (c->budget_paused) {
    return;  // the buffer budget keeps its calls paused (release_budget resumes them)
  }
  core_.on_client_blocked(key, blocked, now_());
  if (blocked) {
    upstreams_.set_paused(key, true);
  } else {
    // Not here: inside the action loop every held-back item would become an action before
    // any is written (issue 14 item 4). Read in batches at the end of the turn instead.
    to_drain_.push_back(key);
  }
}

void DirectorService::Impl::issue_due_tickets() {
  for (StreamKey key : tickets_.take_due()) {
    if (auto point = core_.router().resume_point(key)) {
      send_ticket(key, *point);
    }
  }
}

void DirectorService::Impl::send_ticket(StreamKey key, const director::ResumePoint& point) {
  detail::ClientStream* c = clients_.find(key);
  if (c == nullptr) {
    return;
  }
  const Timestamp now = now_();
  auto item = tickets_.make(*c, point, now);
  if (!item) {
    return;
  }
  ++extra_.tickets_issued;
  (void)sessions_.on_resume_token(c->connection_id, now);
  send(key, std::move(*item));
}

// --- worker side ---

void DirectorService::Impl::start_attempt(director::StartAttempt& a) {
  const detail::ClientStream* c = clients_.find(a.stream);
  auto started = upstreams_.start(
      a, c != nullptr ? c->connection_id : std::string(), c != nullptr && paused(*c), now_());
  if (!started) {
    logger().debug("attempt={} worker={} end={} detail=\"{}\": worker call not started",
                   a.attempt,
                   a.worker,
                   director::to_string(started.error().end),
                   started.error().detail);
    core_.on_attempt_ended(a.attempt, started.error().end, started.error().detail, now_());
  }
}

void DirectorService::Impl::start_probe(const director::ProbeWorker& p) {
  const Timestamp now = now_();
  if (!probes_.start(p.worker, p.worker_addr, now)) {
    // No live connection to the worker: its calls end (or ended) on their own.
    core_.on_probe_result(p.worker, /*answered=*/true, now, now);
  }
}

void DirectorService::Impl::conclude_probes(Timestamp now) {
  for (const detail::ProbeOutcome& o : probes_.on_timeout(now)) {
    core_.on_probe_result(o.worker, o.answered, o.heard, now);
  }
}

void DirectorService::Impl::on_upstream_item(AttemptId attempt, const v1::WorkerItem& item) {
  if (!upstreams_.contains(attempt)) {
    return;
  }
  const Timestamp now = now_();
  switch (item.item_case()) {
    case v1::WorkerItem::kToken:
      core_.on_attempt_token(
          attempt, item.token().seq(), item.token().text(), now, item.token().emit_ns());
      break;
    case v1::WorkerItem::kError:
      core_.on_attempt_error(attempt, item.error().message(), now);
      break;
    case v1::WorkerItem::kDone:
      // The core forgets the attempt without a CancelAttempt: forget the call too.
      upstreams_.forget(attempt, /*cancel=*/false);
      core_.on_attempt_done(
          attempt, {item.done().finish_reason(), item.done().prompt_tokens()}, now);
      break;
    case v1::WorkerItem::ITEM_NOT_SET:
      break;
  }
}

void DirectorService::Impl::on_upstream_end(AttemptId attempt, const rpc::Status& status) {
  if (!upstreams_.contains(attempt)) {
    return;
  }
  upstreams_.forget(attempt, /*cancel=*/false);
  const director::AttemptEnd end = detail::attempt_end(status);
  const std::string detail = status.ok() ? "worker call ended without Done" : status.to_string();
  logger().debug("attempt={} end={} cause={} detail=\"{}\": worker call ended",
                 attempt,
                 director::to_string(end),
                 rpc::to_string(status.cause),
                 detail);
  core_.on_attempt_ended(attempt, end, detail, now_());
}

// --- events ---

void DirectorService::Impl::log_event(const director::Event& event) {
  track(event);
  status_.on_event(event, now_());
  std::visit(
      [this](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, director::WorkerAssigned>) {
          logger().info("connection.id={} worker={} stream.id={}: 🔄 worker assigned to stream",
                        e.ref.connection_id,
                        e.worker,
                        e.ref.stream_id);
        } else if constexpr (std::is_same_v<T, director::WorkerFailed>) {
          logger().warn(
              "stream.id={} connection.id={} worker={}: ⚠️  worker failed - initiating "
              "connection migration",
              e.ref.stream_id,
              e.ref.connection_id,
              e.worker);
          logger().debug("stream.id={} worker={} reason={} detail=\"{}\": failure detail",
                         e.ref.stream_id,
                         e.worker,
                         director::to_string(e.reason),
                         e.detail);
        } else if constexpr (std::is_same_v<T, director::WorkerUnresponsive>) {
          logger().warn(
              "worker={} silent_ms={}: ⚠️  worker unresponsive - no packet after a liveness "
              "probe, failing its streams",
              e.worker,
              e.silent_for / kMillisecond);
        } else if constexpr (std::is_same_v<T, director::MigratingStream>) {
          ++extra_.migrations_by_reason[static_cast<std::size_t>(e.reason)];
          logger().info(
              "stream.id={} connection.id={} from_worker={} to_worker={}: 🔀 migrating "
              "connection to new worker",
              e.ref.stream_id,
              e.ref.connection_id,
              e.from,
              e.to);
        } else if constexpr (std::is_same_v<T, director::FailoverGap>) {
          ++extra_.failover_gaps;
          extra_.failover_gap_max = std::max(extra_.failover_gap_max, e.gap);
          extra_.failover_gap_total += e.gap;
          if (gap_observer_) {
            gap_observer_(e.gap);
          }
          logger().debug("stream.id={} from_worker={} to_worker={} gap_ms={}: failover gap",
                         e.ref.stream_id,
                         e.from,
                         e.to,
                         e.gap / kMillisecond);
        } else if constexpr (std::is_same_v<T, director::StateChanged>) {
          // Per-transition detail is the machine's own debug log (module "migration").
        } else {
          logger().warn("stream.id={} connection.id={}: ⏳ no worker available, waiting",
                        e.ref.stream_id,
                        e.ref.connection_id);
        }
      },
      event);
}

}  // namespace connswap::services
