#pragma once
// DirectorService's state, shared by director_service.cc (client streams, actions),
// director_upstream.cc (worker calls, registry), director_admin.cc (sessions, Migration
// service) and director_resume.cc (tickets, resume). Not for use outside src/services.

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <connswap/v1/director.pb.h>
#include <connswap/v1/migration.pb.h>
#include <connswap/v1/worker.pb.h>

#include "base/fifo.h"
#include "director/stream_router.h"
#include "director/worker_pool.h"
#include "migration/session_manager.h"
#include "migration/token.h"
#include "rpc/client.h"
#include "rpc/server.h"
#include "services/director_service.h"

namespace connswap::services {

using GenerateCall = rpc::ServerCall<v1::GenerateRequest, v1::GenerateItem>;
using UpstreamCall = rpc::ClientCall<v1::WorkerGenerateRequest, v1::WorkerItem>;

// Held by shared_ptr only so that registry handlers (which may outlive the service) can
// hold a weak_ptr and see it gone.
class DirectorService::Impl : public std::enable_shared_from_this<DirectorService::Impl> {
 public:
  Impl(const director::DirectorConfig& config, WorkerConnector& connector, NowFn now);

  // Registry handlers (director_service.cc / director_upstream.cc).
  void on_generate(GenerateCall call, const v1::GenerateRequest& request);
  void on_register(rpc::ServerCall<v1::RegisterRequest, v1::RegisterResponse> call,
                   const v1::RegisterRequest& request);
  void on_heartbeat(rpc::ServerCall<v1::HeartbeatRequest, v1::HeartbeatResponse> call,
                    const v1::HeartbeatRequest& request);
  void on_drain(rpc::ServerCall<v1::DrainRequest, v1::DrainResponse> call,
                const v1::DrainRequest& request);
  // Migration service (director_admin.cc).
  void on_drain_worker(rpc::ServerCall<v1::DrainWorkerRequest, v1::DrainWorkerResponse> call,
                       const v1::DrainWorkerRequest& request);
  void on_move_stream(rpc::ServerCall<v1::MoveStreamRequest, v1::MoveStreamResponse> call,
                      const v1::MoveStreamRequest& request);
  void on_list_sessions(rpc::ServerCall<v1::ListSessionsRequest, v1::ListSessionsResponse> call,
                        const v1::ListSessionsRequest& request);
  void enable_resume(migration::Keyring keyring, const ResumeConfig& config, WallClockFn wall);

  Timestamp deadline() const { return std::min(router_.deadline(), sessions_.deadline()); }
  void on_timeout(Timestamp now);
  void stop();
  bool stopped() const { return stopped_; }
  DirectorStats stats() const;
  const director::WorkerPool& pool() const { return pool_; }
  const migration::ConnectionSessionManager& sessions() const { return sessions_; }
  std::function<void(Duration)> gap_observer_;  // DirectorService::on_failover_gap

 private:
  // One client Generate call.
  struct ClientStream {
    GenerateCall call;
    Fifo<v1::GenerateItem> outbox;      // items the call's send queue did not take yet
    std::optional<rpc::Status> finish;  // trailer to send once the outbox is empty
    std::vector<director::AttemptId> attempts;
    bool blocked = false;  // write() hit the high-water mark; worker calls are paused
    std::string connection_id;
    std::uint64_t stream_id = 0;
    GenerateRequest request;            // as first asked (a resumed stream: the snapshot's)
    std::uint32_t base_migrations = 0;  // migrations before this call (resumed streams)
    std::uint32_t since_ticket = 0;     // tokens sent since the last ticket
    Timestamp ticket_at = 0;            // when the last ticket was sent
  };
  // One worker Generate call (an attempt).
  struct Upstream {
    UpstreamCall call;
    director::StreamKey stream = 0;
    std::string worker;
    bool error_seen = false;
  };

  // Runs `fn`, then executes router actions until none is left. Nested runs (callbacks
  // fired while executing an action) only queue: the outermost run drains.
  template <class Fn>
  void run(Fn&& fn) {
    if (draining_) {
      fn();
      return;
    }
    draining_ = true;
    fn();
    drain();
    draining_ = false;
  }
  void drain();
  void execute(director::Action& action);
  void log_event(const director::Event& event);
  void forward_token(director::ForwardToken& a);
  ClientStream* find_client(std::string_view connection_id, std::uint64_t stream_id);
  // Registers a client call (router key `key`) in clients_ and the session book.
  void add_client(director::StreamKey key, GenerateCall call, ClientStream&& stream);

  // director_service.cc: client side.
  void send(director::StreamKey key, v1::GenerateItem item);
  void send_token(director::StreamKey key, ClientStream& c, const director::ForwardToken& a);
  void finish_stream(const director::FinishStream& f);
  void flush(director::StreamKey key);
  void set_blocked(director::StreamKey key, bool blocked);
  void on_client_done(director::StreamKey key);

  // director_admin.cc: the session book.
  void track(const director::Event& event);
  void on_finished_stream(const ClientStream& c, director::StatusCode code);
  void add_history(director::StreamKey key, v1::StreamInfo& out, Timestamp now) const;

  // director_resume.cc: tickets and resume.
  void on_resume(GenerateCall call, const v1::Resume& resume, const std::string& connection_id);
  void ticket_due(director::StreamKey key, bool forced, Timestamp now);
  void issue_due_tickets();
  // Queues a ResumeTicket item for the client of `key` (nothing if resume is off).
  void send_ticket(director::StreamKey key, const director::ResumePoint& point);

  // director_upstream.cc: worker side.
  void start_attempt(director::StartAttempt& a);
  // Forgets the attempt's call; cancels it (RESET) when `cancel`.
  void cancel_attempt(director::AttemptId attempt, bool cancel = true);
  void on_upstream_item(director::AttemptId attempt, const v1::WorkerItem& item);
  void on_upstream_done(director::AttemptId attempt, const rpc::Status& status);
  void fail_upstream(director::AttemptId attempt,
                     director::FailureReason reason,
                     const std::string& detail,
                     Timestamp now);
  void apply_change(const std::string& label, director::WorkerChange change, Timestamp now);

  director::DirectorConfig config_;
  WorkerConnector& connector_;
  NowFn now_;
  director::WorkerPool pool_;
  director::StreamRouter router_;
  migration::ConnectionSessionManager sessions_;
  std::optional<migration::TokenVerifier> verifier_;  // set by enable_resume()
  ResumeConfig resume_;
  WallClockFn wall_now_;
  std::vector<director::StreamKey> tickets_due_;  // sent once the router's actions are out
  std::unordered_map<director::StreamKey, ClientStream> clients_;
  std::unordered_map<director::AttemptId, Upstream> upstreams_;
  DirectorStats extra_;          // the counters the router does not keep
  v1::GenerateItem token_item_;  // reused by send_token()
  std::uint64_t next_stream_id_ = 1;
  std::uint64_t next_connection_ = 1;
  bool draining_ = false;
  bool stopped_ = false;
};

}  // namespace connswap::services
