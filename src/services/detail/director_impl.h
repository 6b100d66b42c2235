#pragma once
// DirectorService's state, shared by director_service.cc (client streams, actions) and
// director_upstream.cc (worker calls, registry). Not for use outside src/services.

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <connswap/v1/director.pb.h>
#include <connswap/v1/worker.pb.h>

#include "base/fifo.h"
#include "director/stream_router.h"
#include "director/worker_pool.h"
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

  Timestamp deadline() const { return router_.deadline(); }
  void on_timeout(Timestamp now);
  void stop();
  bool stopped() const { return stopped_; }
  DirectorStats stats() const;
  const director::WorkerPool& pool() const { return pool_; }
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

  // director_service.cc: client side.
  void send(director::StreamKey key, v1::GenerateItem item);
  void send_token(const director::ForwardToken& a);
  void finish_stream(const director::FinishStream& f);
  void flush(director::StreamKey key);
  void set_blocked(director::StreamKey key, bool blocked);
  void on_client_done(director::StreamKey key);

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
