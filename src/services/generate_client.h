#pragma once
// GenerateClient: the client library. Starts N connswap.v1.Director/Generate calls on one
// rpc::Session, checks each with a client::StreamVerifier, logs the seed's lines
// (assigned, received token, CONNECTION MIGRATION) and builds the summary line. Keeps the
// last ResumeTicket of each stream: a stream whose call ends UNAVAILABLE (connection lost,
// director stopping, no worker) with a ticket in hand is interrupted, not failed, until the
// owner resumes it on a new Session (any director of the cluster) or abandons it. Sans-IO.
//
// The owner must: construct it with the connection's Session; start(now); run the loop
// until finished() (on_finished tells); on on_interrupted, get a working Session (a new
// connection, with backoff) and call resume(session, now), or abandon(); read summary().
// cancel() or destruction abandons calls still open.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/generate.h"
#include "base/time.h"
#include "client/stream_verifier.h"
#include "director/config.h"
#include "rpc/session.h"
#include "rpc/status.h"

namespace connswap::services {

struct GenerateClientConfig {
  std::string connection_id = "conn-1";  // sent as `connection-id` metadata; logged
  std::uint32_t streams = 1;             // concurrent Generate calls
  // Stream i asks for `request`, its prompt suffixed with " #i" when streams > 1 (so each
  // stream's text differs and cross-stream mix-ups are caught).
  GenerateRequest request{.prompt = "hello", .max_tokens = 60};
  bool log_tokens = true;  // "📦 received token" at info (else at debug)
  Duration timeout = 0;    // per call deadline; 0 = none
  bool resume = true;      // keep tickets; an UNAVAILABLE call with one interrupts its stream
  // With resume, a bounded stream (max_tokens != 0) also keeps every token it received,
  // up to these bounds (the director's defaults; 0 = keep none), and sends them on resume
  // as Resume.delivered: the resumed stream then keeps its whole prefix, which a worker in
  // front of a model server needs to continue the answer.
  std::uint32_t prefix_max_tokens = director::kDefaultPrefixMaxTokens;
  std::uint32_t prefix_max_bytes = director::kDefaultPrefixMaxBytes;
  // Observer of every item a stream receives (after its verifier): stream index, item. For
  // load tools timing gaps (connswap-soak); tickets are not shown. Empty = none.
  std::function<void(std::uint32_t, const client::StreamItem&)> observe;
};

// One stream's outcome.
struct GenerateResult {
  client::StreamTally tally;
  std::optional<rpc::Status> status;  // set once the call ended
  std::string worker;                 // the last serving worker
};

class GenerateClient {
 public:
  // `session` must outlive the client (or the client must be cancelled first).
  GenerateClient(GenerateClientConfig config, rpc::Session& session);
  ~GenerateClient();
  GenerateClient(const GenerateClient&) = delete;
  GenerateClient& operator=(const GenerateClient&) = delete;

  // Starts every call. Fails (starting none) if the Session refuses one.
  [[nodiscard]] Result<void> start(Timestamp now);
  // Runs once, when the last call has ended and no stream is interrupted.
  void on_finished(std::function<void()> fn);
  bool finished() const;

  // Runs each time a stream becomes interrupted (its call ended UNAVAILABLE with a ticket).
  void on_interrupted(std::function<void()> fn);
  // Streams waiting for resume() or abandon().
  std::size_t interrupted() const;
  // Starts a resume call on `session` (which must outlive the client, like the first one)
  // for every interrupted stream: its last ticket, last_seq and every token received when
  // it kept them all (`delivered`), else the tokens since the ticket (`recent`). Returns
  // how many started.
  std::size_t resume(rpc::Session& session, Timestamp now);
  // Gives up on the interrupted streams: they end with the status their call ended with.
  void abandon();
  // True once a resumed call of some stream has received a token since the last check
  // (the owner's reconnect budget resets on progress).
  bool take_progress();

  std::vector<GenerateResult> results() const;
  // The summary over every stream; verified only if each call ended OK and verified, or
  // (max_tokens 0) was ended by cancel() or its own deadline with every token right.
  // An item of no known kind ends its call INTERNAL (a protocol error, not verified).
  client::ClientSummary summary() const;
  // Stops (true) or resumes reading every call: a slow consumer, for tests and load runs.
  // While paused, flow control holds the director back.
  void set_paused(bool paused);
  // Cancels the calls still open (their results keep status CANCELLED).
  void cancel();

  class Impl;  // generate_client.cc

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace connswap::services
