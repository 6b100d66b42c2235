#pragma once
// DirectorService's state: the director core (director::Director: pool + router, the one
// owner of worker lifecycle and failure policy) and the parts that bind it to RPC, each in
// its own file: client streams behind ClientSinks (client_streams.cc), worker calls
// (upstreams.cc), resume tickets (tickets.cc), the session book and Migration service
// (director_admin.cc), the MGMT Registry (director_registry.cc). This class only routes:
// protocol inputs become core inputs, core actions become writes and calls.
// Not for use outside src/services.

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <connswap/v1/director.pb.h>
#include <connswap/v1/migration.pb.h>
#include <connswap/v1/worker.pb.h>

#include "director/director.h"
#include "migration/session_manager.h"
#include "rpc/server.h"
#include "services/client_sink.h"
#include "services/detail/client_streams.h"
#include "services/detail/label_bindings.h"
#include "services/detail/probes.h"
#include "services/detail/status_book.h"
#include "services/detail/tickets.h"
#include "services/detail/upstreams.h"
#include "services/director_service.h"

namespace connswap::services {

template <class Req, class Resp>
using MgmtCall = rpc::ServerCall<Req, Resp>;

// Held by shared_ptr only so that registry handlers (which may outlive the service) can
// hold a weak_ptr and see it gone.
class DirectorService::Impl : public std::enable_shared_from_this<DirectorService::Impl> {
 public:
  Impl(const director::DirectorConfig& config, WorkerConnector& connector, NowFn now);

  // Any front (director_service.cc): a new client stream, fresh or resumed.
  void open_stream(std::unique_ptr<ClientSink> sink,
                   std::string connection_id,
                   const v1::GenerateRequest& request);
  // Registry (director_registry.cc).
  void on_register(MgmtCall<v1::RegisterRequest, v1::RegisterResponse> call,
                   const v1::RegisterRequest& request);
  void on_heartbeat(MgmtCall<v1::HeartbeatRequest, v1::HeartbeatResponse> call,
                    const v1::HeartbeatRequest& request);
  void on_drain(MgmtCall<v1::DrainRequest, v1::DrainResponse> call,
                const v1::DrainRequest& request);
  // Refuses a Registry call for a label another certificate owns (labels_).
  void refuse_label(rpc::Call& call,
                    const std::string& label,
                    std::string_view what,
                    const std::string& why);
  // Migration service (director_admin.cc).
  void on_drain_worker(MgmtCall<v1::DrainWorkerRequest, v1::DrainWorkerResponse> call,
                       const v1::DrainWorkerRequest& request);
  void on_move_stream(MgmtCall<v1::MoveStreamRequest, v1::MoveStreamResponse> call,
                      const v1::MoveStreamRequest& request);
  void on_list_sessions(MgmtCall<v1::ListSessionsRequest, v1::ListSessionsResponse> call,
                        const v1::ListSessionsRequest& request);
  void enable_resume(migration::Keyring keyring, const ResumeConfig& config, WallClockFn wall);
  void set_stream_limits(const StreamLimits& limits);  // director_limits.cc

  Timestamp deadline() const {
    return std::min({core_.deadline(),
                     sessions_.deadline(),
                     blocked_deadline(),
                     drain_deadline_,
                     budget_deadline_,
                     probes_.deadline(),
                     start_deadline_});
  }
  void on_timeout(Timestamp now);
  void stop();
  bool stopped() const { return stopped_; }
  DirectorStats stats() const;
  std::size_t max_request_bytes() const { return max_request_bytes_; }
  const director::WorkerPool& pool() const { return core_.pool(); }
  const migration::ConnectionSessionManager& sessions() const { return sessions_; }

 private:
  friend class DirectorService;  // sets gap_observer_ (on_failover_gap); status
                                 // (director_status.cc)

  // Runs `fn`, then executes the core's actions until none is left. Nested runs (callbacks
  // fired while executing an action) only queue: the outermost run drains.
  // The outermost run is one turn: it then reads unblocked streams' worker calls, one
  // batch each (director_drain.cc), and items they deliver count in the same turn.
  template <class Fn>
  void run(Fn&& fn) {
    if (in_action_loop_) {
      fn();
      return;
    }
    const bool turn = turn_depth_++ == 0;
    in_action_loop_ = true;
    fn();
    run_actions();
    in_action_loop_ = false;
    if (turn) {
      drain_unblocked();
      end_turn();
    }
    --turn_depth_;
  }
  void run_actions();
  void execute(director::Action& action);
  void log_event(const director::Event& event);

  // director_service.cc: client streams.
  bool refused_at_open(ClientSink& sink,
                       const std::string& connection_id,
                       const v1::GenerateRequest& request);
  void open_resumed(std::unique_ptr<ClientSink> sink,
                    const v1::Resume& resume,
                    const std::string& connection_id);
  void add_client(director::StreamKey key, detail::ClientStream&& stream);
  void on_client_gone(director::StreamKey key, ClientGone why);
  void forward_token(director::ForwardToken& a);
  void send_assigned(director::SendAssigned& a);
  void send_migrated(director::SendMigrated& a);
  void finish_stream(const director::FinishStream& f);
  void send(director::StreamKey key, v1::GenerateItem item);
  void after_write(director::StreamKey key, detail::Flow flow);
  void set_blocked(director::StreamKey key, bool blocked);
  void issue_due_tickets();
  void send_ticket(director::StreamKey key, const director::ResumePoint& point);

  // director_service.cc: worker calls.
  void start_attempt(director::StartAttempt& a);
  void start_probe(const director::ProbeWorker& p);
  void conclude_probes(Timestamp now);
  void on_upstream_item(director::AttemptId attempt, const v1::WorkerItem& item);
  void on_upstream_end(director::AttemptId attempt, const rpc::Status& status);

  // director_limits.cc: StreamLimits.
  bool admit_to_book(ClientSink& sink, const std::string& connection_id, std::uint64_t stream_id);
  void note_blocked(director::StreamKey key, detail::ClientStream& c, bool blocked);
  Timestamp blocked_deadline() const;
  void end_blocked_streams(Timestamp now);
  void end_not_reading(director::StreamKey key, detail::ClientStream& c, Timestamp now);

  // director_drain.cc: unblocked streams read in batches (issue 14 item 4).
  void drain_unblocked();
  void end_turn();
  void note_turn_item(const v1::GenerateItem& item);
  void continue_draining(Timestamp now);

  // director_starts.cc: worker calls started in batches (StreamLimits::replace_batch).
  void start_or_queue(director::StartAttempt& a);
  void start_queued(Timestamp now);
  bool unqueue(director::AttemptId attempt);
  void end_turn_starts();

  // director_budget.cc: the global buffer budget (StreamLimits::max_buffered_bytes).
  void note_buffered(director::StreamKey key, detail::Flow flow);
  void refresh_buffered();
  void pause_for_budget(director::StreamKey key, detail::ClientStream& c);
  void release_budget(Timestamp now);
  void end_budget_holders(Timestamp now);
  bool paused(const detail::ClientStream& c) const { return c.blocked || c.budget_paused; }

  // director_admin.cc: the session book.
  void track(const director::Event& event);
  void on_finished_stream(detail::ClientStream& c, director::StatusCode code);
  // The session book's token counts made current: forward_token() counts on the client
  // stream only (no string-keyed lookup per token); readers of the book call this first.
  void book_tokens(detail::ClientStream& c);
  void book_all_tokens();
  void add_history(director::StreamKey key, v1::StreamInfo& out, Timestamp now) const;

  NowFn now_;
  director::Director core_;
  migration::ConnectionSessionManager sessions_;
  detail::ClientStreams clients_;
  detail::Upstreams upstreams_;
  detail::Probes probes_;
  detail::Tickets tickets_;
  DirectorStats extra_;           // the counters the core does not keep
  detail::StatusBook status_;     // per-worker rates, stream migrations, gaps (status page)
  detail::LabelBindings labels_;  // worker label -> the certificate that registered it
  v1::GenerateItem token_item_;   // reused by forward_token()
  std::uint64_t next_stream_id_ = 1;
  std::uint64_t next_connection_ = 1;
  std::size_t max_request_bytes_;  // services::max_request_bytes(config)
  bool in_action_loop_ = false;    // run() is draining actions (re-entrancy guard)
  bool stopped_ = false;
  std::function<void(Duration)> gap_observer_;  // DirectorService::on_failover_gap
  StreamLimits limits_;
  std::set<std::pair<Timestamp, director::StreamKey>> blocked_until_;  // blocked streams' ends
  // director_drain.cc: streams whose client reads again, to read a batch for at the end of
  // this turn; streams to read another batch for on the next turn (at drain_deadline_).
  std::vector<director::StreamKey> to_drain_;
  std::vector<director::StreamKey> drain_next_;
  Timestamp drain_deadline_ = kNever;
  std::uint32_t turn_depth_ = 0;  // nested run()s; 0 between turns
  bool draining_ = false;         // inside drain_unblocked()
  std::uint64_t turn_items_ = 0;  // tokens forwarded in this turn
  std::uint64_t turn_bytes_ = 0;  // their GenerateItem bytes
  // director_budget.cc: each stream's sink bytes as last read (refreshed on its writes and
  // while over budget), their sum, and the streams the budget paused.
  std::unordered_map<director::StreamKey, std::size_t> buffered_;
  std::size_t buffered_total_ = 0;
  bool over_budget_ = false;
  std::vector<director::StreamKey> budget_paused_;
  Timestamp budget_deadline_ = kNever;  // next check while over budget
  // director_starts.cc: StartAttempts waiting for a later turn (FIFO), calls started in
  // this turn, and when the next batch is due (kNever: none queued).
  std::deque<director::StartAttempt> queued_starts_;
  std::size_t turn_starts_ = 0;
  Timestamp start_deadline_ = kNever;
};

}  // namespace connswap::services
