#pragma once
// Internal: the state behind rpc::Session and rpc::Call handles. Not a public header.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rpc/call.h"
#include "rpc/session.h"
#include "wire/frame.h"

namespace connswap::rpc {

struct MethodEntry;

namespace detail {

enum class Role : std::uint8_t { kClient, kServer };

struct CallState {
  CallState(CallId call_id, Role call_role, std::size_t max_frame)
      : id(call_id), role(call_role), decoder(max_frame) {}

  CallId id;
  Role role;
  StreamId stream = kNoStream;  // client: kNoStream until open_stream() succeeds
  wire::FrameDecoder decoder;
  std::size_t unconsumed = 0;  // received bytes whose flow credit is not yet returned
  Bytes pending_out;           // client: message frames written before the stream opened
  wire::CallHeader header;     // client: to send; server: as received
  Timestamp deadline = kNever;
  bool header_seen = false;    // server: the HEADER frame arrived
  bool local_fin = false;      // we ended our sending side cleanly (FIN)
  bool send_closed = false;    // no more writes: local FIN, our reset, or peer STOP_SENDING
  bool peer_fin = false;       // the peer ended its sending side (FIN or reset)
  bool eos_delivered = false;  // server: on_read(nullopt) ran
  bool want_writable = false;  // a write() hit the high-water mark
  bool paused = false;
  // Message bytes still to deliver before pausing again (resume_reading(max_bytes));
  // SIZE_MAX when none is set.
  std::size_t read_budget = SIZE_MAX;
  bool draining = false;  // inside drain(): no nested drains of this call
  bool done = false;
  ReadFn on_read;
  DoneFn on_done;
  WritableFn on_writable;
};

class Core : public std::enable_shared_from_this<Core> {
 public:
  Core(StreamTransport& transport, const Registry* registry, SessionConfig config);

  // rpc::Session
  void on_stream_opened(StreamId id);
  void on_stream_data(StreamId id, ByteSpan data, bool fin, Timestamp now);
  void on_stream_reset(StreamId id, std::uint64_t code);
  void on_stop_sending(StreamId id, std::uint64_t code);
  void on_stream_writable(StreamId id);
  void on_streams_available(Timestamp now);
  void end_all(const Status& why, std::optional<std::uint64_t> reset_code);
  Timestamp deadline() const;
  void on_timeout(Timestamp now);
  Result<CallId> start_call(CallOptions options, CallCallbacks callbacks, Timestamp now);
  std::size_t open_calls() const { return calls_.size() - finished_.size(); }
  void set_peer(PeerInfo peer) { peer_ = std::move(peer); }
  const PeerInfo& peer() const { return peer_; }

  // rpc::Call
  CallState* find(CallId id);
  Result<void> write(CallId id, ByteSpan message);
  Result<void> half_close(CallId id);
  Result<void> finish(CallId id, const Status& status);
  void cancel(CallId id, const Status& why);
  void set_paused(CallId id, bool paused, std::size_t read_budget = SIZE_MAX);
  void kick(CallId id);  // deliver what a new on_read / resume may now allow
  std::size_t queued_bytes(const CallState& call) const;

  // Defers erasing ended calls until no callback of this Core is running.
  class Scope {
   public:
    explicit Scope(Core& core) : core_(core) { ++core_.depth_; }
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Core& core_;
  };

 private:
  // core_inbound.cc
  void drain(CallState& call);
  bool can_deliver(const CallState& call) const;
  void handle_frame(CallState& call, const wire::Frame& frame);
  void handle_server_header(CallState& call, ByteSpan body);
  void handle_trailer(CallState& call, ByteSpan body);
  void handle_end_of_stream(CallState& call);
  void fail_inbound(CallState& call, StatusCode code, std::string why);
  void deliver(CallState& call, std::optional<ByteSpan> message);
  void spend_read_budget(CallState& call, std::size_t bytes);
  void return_credit(CallState& call);
  // core_outbound.cc
  Result<void> try_open(CallState& call, Timestamp now);
  void flush_pending(CallState& call, Timestamp now);
  Result<void> send(CallState& call, Bytes bytes, bool fin);
  void send_trailer(CallState& call, const Status& status);
  void abort_stream(CallState& call, std::uint64_t code);
  void complete(CallState& call, const Status& status);
  void notify_writable(CallState& call);
  void reap();

  StreamTransport& transport_;
  const Registry* registry_;
  SessionConfig config_;
  PeerInfo peer_;
  Timestamp now_ = 0;  // latest `now` seen; for work triggered by handle operations
  bool closed_ = false;
  bool transport_gone_ = false;  // connection lost / Session destroyed: no stream actions
  int depth_ = 0;
  CallId next_call_id_ = 1;
  std::unordered_map<CallId, std::unique_ptr<CallState>> calls_;
  std::unordered_map<StreamId, CallId> streams_;
  std::set<std::pair<Timestamp, CallId>> deadlines_;
  std::deque<CallId> waiting_;    // client calls waiting for a stream
  std::vector<CallId> finished_;  // ended, erased by reap()
};

}  // namespace detail
}  // namespace connswap::rpc
