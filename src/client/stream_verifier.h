#pragma once
// Client-side checking of a Generate stream against the demo generator: every token exactly
// once, in order, with the right text, across migrations and across the calls that resume
// it (on a new connection, possibly another director). Pure: fed the items as received.

#include <cstdint>
#include <set>
#include <string>
#include <variant>

#include "base/generate.h"

namespace connswap::client {

// The items a client receives on a Generate stream (converted from protobuf by the binding).
struct Assigned {
  std::string connection_id;
  std::uint64_t stream_id = 0;
  std::string worker;
};
struct Token {
  std::uint64_t seq = 0;
  std::string text;
};
struct Migrated {
  std::string from;
  std::string to;
  std::string reason;
  std::uint64_t resume_seq = 0;
};
struct Done {
  std::uint64_t tokens = 0;
  std::string finish_reason;
};
using StreamItem = std::variant<Assigned, Token, Migrated, Done>;

// Per-stream result. `lost` counts sequence numbers never received (including, for a
// bounded stream, those after the last one received); `out_of_order` counts late arrivals
// of skipped numbers; `protocol_errors` counts inconsistent Migrated/Done/Assigned items.
struct StreamTally {
  std::uint64_t tokens = 0;  // distinct tokens received
  std::uint64_t migrations = 0;
  std::uint64_t resumes = 0;  // calls that continued the stream (on_resumed)
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t mismatched = 0;  // text differs from demo_token(prompt, seq)
  std::uint64_t protocol_errors = 0;
  bool done = false;
  // done (or, unbounded, ended by the client after a token) and every counter above (but
  // tokens/migrations/resumes) is zero
  bool verified = false;
};

class StreamVerifier {
 public:
  // Expects tokens request.start_seq..request.max_tokens with DemoGenerator text.
  explicit StreamVerifier(GenerateRequest request);

  void on_item(const StreamItem& item);
  // A new call continues the stream (a resume): it must start with an Assigned naming the
  // same connection id and stream id, then carry on at next_seq(); its Done counts only
  // its own tokens.
  void on_resumed();
  // The call carried an item the client could not turn into a StreamItem (an unknown or
  // empty GenerateItem): a protocol error; the caller ends the call.
  void on_undecodable() { ++tally_.protocol_errors; }
  // The client itself ended the stream (cancelled it, or its own deadline passed). For an
  // unbounded stream (max_tokens 0) that is its normal end: it verifies without a Done if
  // at least one token came and every token received was right.
  void on_ended_by_client() { ended_by_client_ = true; }
  // The result so far; meant to be read once the stream has ended.
  StreamTally tally() const;
  // The next sequence number expected (a client resuming elsewhere asks for this).
  std::uint64_t next_seq() const { return expected_; }
  const std::string& connection_id() const { return connection_id_; }
  const std::string& worker() const { return worker_; }

 private:
  void on_token(const Token& t);
  void on_migrated(const Migrated& m);
  void check_text(const Token& t);

  GenerateRequest request_;
  std::uint64_t expected_;
  std::set<std::uint64_t> missing_;  // skipped numbers not (yet) received
  std::string connection_id_;
  std::uint64_t stream_id_ = 0;
  bool assigned_ = false;          // the current call's Assigned was seen
  bool ended_by_client_ = false;   // on_ended_by_client()
  std::uint64_t call_tokens_ = 0;  // tokens on the current call (Done.tokens counts these)
  std::string worker_;
  StreamTally tally_;
};

// The client's final line, aggregated over its streams.
struct ClientSummary {
  std::string connection_id;
  std::uint64_t streams = 0;
  std::uint64_t tokens = 0;
  std::uint64_t migrations = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t resumes = 0;  // calls that continued a stream on a new connection
  std::uint64_t rebinds = 0;  // client UDP port changes (QUIC connection migration)
  std::uint32_t quic_handshakes = 1;
  bool verified = true;  // every added stream verified (and at least one stream)

  void add(const StreamTally& tally);
};

// `summary connection.id=<id> streams=N tokens=N migrations=N lost=N duplicated=N
// out_of_order=N resumes=N rebinds=N quic_handshakes=N verified=true|false` (the seed's
// shape plus resumes and rebinds, no newline).
std::string format_summary(const ClientSummary& summary);

}  // namespace connswap::client
